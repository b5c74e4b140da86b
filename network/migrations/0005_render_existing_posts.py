"""Store the rendered HTML of posts written before it was stored when saved."""

from html import escape

from django.db import migrations


def render_posts(apps, schema_editor):
    from casestudies.markdown import render_markdown

    Post = apps.get_model("network", "Post")
    for post in Post.objects.filter(body_html="").exclude(body="").iterator(chunk_size=500):
        try:
            html = str(render_markdown(post.body))
        except RecursionError:
            # A body that the renderer of the day could not handle: keep its words as text.
            html = f"<p>{escape(post.body)}</p>"
        Post.objects.filter(pk=post.pk).update(body_html=html)


class Migration(migrations.Migration):
    dependencies = [("network", "0004_post_html_reports_digest_cancel")]

    operations = [migrations.RunPython(render_posts, migrations.RunPython.noop)]
