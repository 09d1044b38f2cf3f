#!/bin/sh
# The image's entrypoint: `web` (the default) applies the migrations, then runs gunicorn; `migrate` only applies
# them; anything else runs as given (`lms worker`, `lms users create ...`, `sh`).
set -eu

migrate() {
    # Without the statement timeout: a migration may rewrite a large table in one statement.
    LMS_DB_STATEMENT_TIMEOUT_MS= flask --app wsgi db upgrade
}

case "${1:-web}" in
    web)
        # With several app containers, set LMS_MIGRATE_ON_START=0 and run `migrate` once per release instead,
        # so two containers never migrate at the same time.
        if [ "${LMS_MIGRATE_ON_START:-1}" = "1" ]; then
            migrate
        fi
        exec gunicorn -c deploy/gunicorn.conf.py wsgi:app
        ;;
    migrate)
        migrate
        ;;
    *)
        exec "$@"
        ;;
esac
