# The LMS as a container image: gunicorn serving the app, or any `lms` command (compose.yaml runs `lms worker`).
#   docker build -t lms .
#   docker run --env-file lms.env -p 127.0.0.1:8000:8000 lms            # migrate, then serve
#   docker run --env-file lms.env lms lms users create --email ... --name ... --role administrator
# Configuration comes from the environment only (docs/deploy.md lists it); nothing secret is in the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LMS_INSTANCE_PATH=/var/lib/lms \
    COURSES_MEDIA_DIR=/var/lib/lms/media \
    GUNICORN_BIND=0.0.0.0:8000 \
    LMS_LOG_FORMAT=json

# Every Python dependency has a wheel, so no compiler or system package is needed. (Backups run pg_dump in the
# postgres container, whose version matches the server's; see docs/deploy.md.)
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin lms \
    && install -d -o lms -g lms -m 0750 /var/lib/lms /var/lib/lms/media

WORKDIR /app
COPY . .
# Editable: the app finds migrations/ and content/ next to its packages (they are not part of the wheel).
RUN pip install -e ".[deploy,s3]" \
    && pybabel compile --use-fuzzy -d lms/translations \
    && chmod +x deploy/docker-entrypoint.sh

USER lms
EXPOSE 8000
VOLUME ["/var/lib/lms"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
ENTRYPOINT ["deploy/docker-entrypoint.sh"]
CMD ["web"]
