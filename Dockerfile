FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var

# WeasyPrint's native libraries and a font for the written schedule.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input \
 && useradd --create-home --uid 1000 b12 && mkdir -p /app/var && chown -R b12 /app/var
USER b12

EXPOSE 8000
CMD ["gunicorn", "b12clinic.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
