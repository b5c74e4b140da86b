app_name = "anchors"

urlpatterns: list = []
