"""gunicorn reads this from the working directory (Dockerfile, docker-compose.yml)."""

import gunicorn.http.wsgi

# Responses say "Server: B12 Clinic", not which server software (and version) runs it.
gunicorn.http.wsgi.SERVER = "B12 Clinic"
