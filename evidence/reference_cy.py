"""The Welsh for the standard measures and the self-assessment matrix the network starts with
(see migrations/0002_reference_data.py for the English). They are the site's own words, not a
member's, so a Welsh page shows them in Welsh.

`fill` writes the Welsh only where it is blank, so a coordinator's later edits in the admin stay
as they are; migration 0003 runs it, and so does the demo seed.
"""

from __future__ import annotations

# measure slug -> (name, definition)
MEASURES = {
    "local-spend-share": (
        "Cyfran y gwariant heblaw cyflogau gyda chyflenwyr lleol",
        "Gwariant heblaw cyflogau a dalwyd i gyflenwyr sydd â safle neu swyddfa gofrestredig yn ardal leol y "
        "sefydliad (fel y mae'r sefydliad yn ei diffinio, fel arfer ei system gofal integredig), fel canran o'r "
        "holl wariant heblaw cyflogau yn y flwyddyn. Peidiwch â chynnwys cyflogau, pensiynau na thaliadau i "
        "gyrff eraill y GIG.",
    ),
    "local-spend": (
        "Gwariant heblaw cyflogau gyda chyflenwyr lleol",
        "Y swm mewn punnoedd y tu ôl i'r gyfran uchod: gwariant heblaw cyflogau yn y flwyddyn a dalwyd i "
        "gyflenwyr sydd wedi'u lleoli yn ardal leol y sefydliad.",
    ),
    "social-value-delivered": (
        "Gwerth cymdeithasol a gyflawnwyd drwy gontractau",
        "Gwerth mewn punnoedd yr ymrwymiadau gwerth cymdeithasol a gyflawnodd cyflenwyr yn y flwyddyn "
        "(swyddi, hyfforddiant, gwariant lleol, gwirfoddoli), fel y'i cofnodwyd gan reolwyr contractau'r "
        "sefydliad. Cyfrifwch yr hyn a gyflawnwyd yn unig, nid yr hyn a addawyd mewn tendr.",
    ),
    "social-value-weighting": (
        "Pwysoliad gwerth cymdeithasol mewn tendrau",
        "Y pwysoliad a roddir i werth cymdeithasol wrth sgorio tendrau, fel canran o'r sgôr gyfan. Lle mae'n "
        "amrywio, rhowch y pwysoliad a ddefnyddiwyd yn y rhan fwyaf o dendrau yn y flwyddyn.",
    ),
    "real-living-wage-suppliers": (
        "Cyflenwyr sy'n talu'r Cyflog Byw Gwirioneddol",
        "O blith cyflenwyr contract y sefydliad ar gyfer gwasanaethau a ddarperir ar ei safleoedd (glanhau, "
        "arlwyo, diogelwch, porthora a'u tebyg), canran y rhai sy'n talu o leiaf y Cyflog Byw Gwirioneddol a "
        "bennir gan y Living Wage Foundation i'w holl staff ar y contractau hynny.",
    ),
    "hires-most-deprived-areas": (
        "Pobl a gyflogwyd o'r ardaloedd lleol mwyaf difreintiedig",
        "Dechreuwyr newydd yn y flwyddyn y mae cod post eu cartref yn yr 20% mwyaf difreintiedig o "
        "gymdogaethau yn Lloegr (neu fynegai cyfatebol y wlad), pob un wedi'i gyfrif unwaith.",
    ),
    "hires-most-deprived-areas-share": (
        "Penodiadau newydd o'r ardaloedd lleol mwyaf difreintiedig",
        "Y bobl a gyfrifwyd uchod fel canran o'r holl ddechreuwyr newydd yn y flwyddyn.",
    ),
    "apprenticeship-starts": (
        "Prentisiaethau a ddechreuwyd",
        "Pobl a ddechreuodd brentisiaeth gyda'r sefydliad yn y flwyddyn, ar unrhyw lefel, gan gynnwys staff "
        "presennol a ddechreuodd un.",
    ),
    "people-supported-into-work": (
        "Pobl a gefnogwyd i mewn i waith",
        "Pobl nad ydynt yn cael eu cyflogi gan y sefydliad a ddechreuodd swydd gydag ef neu gydag unrhyw un "
        "arall yn y flwyddyn ar ôl bod ar ei raglenni cyflogaeth (lleoliadau gwaith, cyrsiau cyn cyflogaeth, "
        "cyfweliadau gwarantedig).",
    ),
    "estate-community-use": (
        "Ystad a agorwyd at ddefnydd y gymuned",
        "Arwynebedd llawr, mewn metrau sgwâr, yr adeiladau a'r tir a roddodd y sefydliad ar gael yn y flwyddyn "
        "i bobl leol a grwpiau cymunedol eu defnyddio am ddim neu islaw rhent y farchnad.",
    ),
    "carbon-saved": (
        "Carbon a arbedwyd",
        "Tunelli o garbon deuocsid cyfatebol a osgowyd yn y flwyddyn gan brosiectau'r sefydliad (ynni, teithio, "
        "nwyon anesthetig, anadlwyr, gwastraff), o'u cymharu â'r hyn a fyddai wedi'i allyrru hebddynt.",
    ),
    "carbon-footprint": (
        "Allyriadau carbon y mae'r sefydliad yn eu rheoli",
        "Tunelli o garbon deuocsid cyfatebol a allyrrwyd yn y flwyddyn o adeiladau, fflyd a nwyon anesthetig y "
        "sefydliad ei hun (cwmpasau 1 a 2 Ôl Troed Carbon y GIG).",
    ),
    "grants-to-voluntary-sector": (
        "Grantiau i sefydliadau gwirfoddol a chymunedol lleol",
        "Arian a roddodd y sefydliad yn grantiau yn y flwyddyn i sefydliadau gwirfoddol, cymunedol a mentrau "
        "cymdeithasol lleol, yn uniongyrchol neu drwy gronfa a rennir.",
    ),
    "staff-volunteering-hours": (
        "Oriau gwirfoddoli staff yn y gymuned",
        "Oriau a dreuliodd staff y sefydliad yn gwirfoddoli gyda sefydliadau cymunedol lleol yn y flwyddyn o "
        "dan ei bolisi absenoldeb gwirfoddoli.",
    ),
}

# Level 1 to 5.
LEVEL_NAMES = ["Dechrau arni", "Datblygu", "Sefydledig", "Arwain", "Trawsnewid"]

# pillar slug -> five statements, level 1 to 5.
STATEMENTS = {
    "purchasing": [
        "Rydym yn gwybod yn fras beth rydym yn ei wario, ond nid ble mae ein cyflenwyr wedi'u lleoli.",
        "Rydym yn olrhain gwariant lleol ac yn gofyn am werth cymdeithasol mewn rhai tendrau mwy.",
        "Mae pwysoliad penodol i werth cymdeithasol ym mhob tendr, ac rydym yn adrodd ar wariant lleol bob "
        "blwyddyn.",
        "Rydym yn helpu cyflenwyr lleol a bach i wneud cais, ac yn gwirio bod y gwerth cymdeithasol a addawyd "
        "yn cael ei gyflawni.",
        "Rydym yn cynllunio gwariant gyda phartneriaid ar draws ein hardal fel bod prynu gyda'n gilydd yn tyfu'r "
        "economi leol.",
    ],
    "workforce": [
        "Mae ein recriwtio'n cyrraedd pobl yn yr un ffordd ag erioed.",
        "Rydym yn cynnig rhai lleoliadau gwaith neu brentisiaethau i bobl leol.",
        "Mae gennym raglenni wedi'u hanelu at yr ardaloedd lleol mwyaf difreintiedig, ac rydym yn olrhain pwy "
        "maen nhw'n eu cyrraedd.",
        "Mae recriwtio, hyfforddiant a dilyniant yn cael eu cynllunio gyda'n cymunedau, ac adroddir ar y "
        "canlyniadau i'r bwrdd.",
        "Rydym yn gweithio gyda phartneriaid fel bod pobl leol yn dod o hyd i lwybr at waith da ar draws yr "
        "ardal gyfan.",
    ],
    "estates": [
        "Mae ein hadeiladau a'n tir yn cael eu defnyddio ar gyfer ein gwasanaethau ein hunain yn unig.",
        "Rydym yn benthyca ystafelloedd neu le i grwpiau cymunedol pan ofynnir i ni.",
        "Mae gennym bolisi ar gyfer defnydd cymunedol o'n hystad, ac rydym yn cyhoeddi beth sydd ar gael.",
        "Mae penderfyniadau am dir ac adeiladau yn pwyso a mesur budd i'r gymuned ochr yn ochr â chost.",
        "Mae ein hystad yn cael ei chynllunio gyda phartneriaid fel ased a rennir er lles iechyd y gymuned.",
    ],
    "environment": [
        "Rydym yn cyflawni ein dyletswyddau cyfreithiol, ond nid oes gennym gynllun ein hunain.",
        "Mae gennym gynllun gwyrdd ac rydym yn mesur ein prif allyriadau.",
        "Rydym yn adrodd ar gynnydd y cynllun gwyrdd bob blwyddyn ac wedi lleihau'r allyriadau rydym yn eu "
        "rheoli.",
        "Mae cyflenwyr a staff yn cymryd rhan mewn lleihau allyriadau, ac mae'r bwrdd yn ein dwyn i gyfrif am "
        "ein targedau.",
        "Rydym yn arwain gwaith ar draws ein hardal ar aer glân, teithio a gwydnwch yn wyneb newid hinsawdd.",
    ],
    "partnership": [
        "Rydym yn gweithio gyda phartneriaid lleol fesul prosiect.",
        "Rydym yn cymryd rhan mewn partneriaethau lleol ac yn rhannu rhywfaint o wybodaeth.",
        "Rydym wedi cytuno ar nodau cyffredin gyda chynghorau, y sector gwirfoddol ac eraill, ac yn gweithredu "
        "arnynt.",
        "Rydym yn cyfuno arian, staff neu ddata gyda phartneriaid i gyflawni'r nodau hynny.",
        "Mae partneriaid a chymunedau yn llunio ein blaenoriaethau, fel rhan gyfartal o'r ffordd rydym yn "
        "penderfynu.",
    ],
}


def fill(StandardMeasure, MaturityLevel) -> int:
    """Write the Welsh into the seeded measures and levels where it is blank; returns how many
    rows changed. Takes the model classes so a migration can pass its historical ones."""
    changed = 0
    for measure in StandardMeasure.objects.filter(slug__in=MEASURES):
        name, definition = MEASURES[measure.slug]
        fields = []
        if not measure.name_cy:
            measure.name_cy = name
            fields.append("name_cy")
        if not measure.definition_cy:
            measure.definition_cy = definition
            fields.append("definition_cy")
        if fields:
            measure.save(update_fields=fields)
            changed += 1
    for level in MaturityLevel.objects.filter(pillar__slug__in=STATEMENTS).select_related("pillar"):
        if not 1 <= level.level <= len(LEVEL_NAMES):
            continue
        fields = []
        if not level.name_cy:
            level.name_cy = LEVEL_NAMES[level.level - 1]
            fields.append("name_cy")
        if not level.statement_cy:
            level.statement_cy = STATEMENTS[level.pillar.slug][level.level - 1]
            fields.append("statement_cy")
        if fields:
            level.save(update_fields=fields)
            changed += 1
    return changed
