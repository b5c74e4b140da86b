# Stage 1: build the design system and the site's own assets.
FROM node:20.18.1-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY scripts/build-assets.mjs scripts/build-assets.mjs
COPY static/src static/src
RUN npm run build

# Stage 2: the Django application, run as an unprivileged user.
FROM python:3.11.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --system app && useradd --system --gid app --create-home --home-dir /home/app app
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
RUN pip install -c constraints.txt .
COPY . .
COPY --from=assets /app/static/dist static/dist
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-secret python manage.py collectstatic --noinput \
    && mkdir -p var/media \
    && chown -R app:app var
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.py"]
