app_name = "casestudies"

urlpatterns: list = []
