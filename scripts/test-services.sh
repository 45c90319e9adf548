# Sourced by `make test`: start the local services some tests use.
# (PostgreSQL and Chromium set-up is added by the progress/report work; until then nothing.)
:
