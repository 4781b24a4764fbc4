# Scaffolding while the areas are built in parallel; deleted before landing.
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def placeholder(request, **kwargs):
    return HttpResponse("placeholder")
