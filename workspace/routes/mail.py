from django.urls import path

from workspace.views import mail

# The pages mail links open: no sign-in needed, the signed token in the URL names the person and what they may do.
urlpatterns = [
    path("mail/approval/<str:token>/", mail.approval, name="mail-approval"),
    path("mail/unsubscribe/<str:token>/", mail.unsubscribe, name="mail-unsubscribe"),
]
