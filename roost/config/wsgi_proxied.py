"""The WSGI application as a web server outside Roost's own process loads it (granian's
workers import it by name): Django's application behind `proxy_aware`, with the proxies
that `ROOST_TRUSTED_PROXIES` names."""

from django.conf import settings

from roost.config.web_server import proxy_aware
from roost.config.wsgi import application as django_application

application = proxy_aware(django_application, settings.ROOST_TRUSTED_PROXIES)
