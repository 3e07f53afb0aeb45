# The docproc application image: web, Celery worker, indexer and beat all run from it
# (see compose.yaml). Build: docker compose build   (or: docker build -t docproc .)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DO_NOT_TRACK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    DOCPROC_DATA_DIR=/data

# Tesseract for scanned pages (English; add tesseract-ocr-<lang> packages for DOCPROC_OCR_LANGUAGES).
# python-ldap (directory sign-in) has no wheel: pip builds it against the OpenLDAP and SASL
# headers with gcc; their libraries stay for it at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr \
        gcc libc6-dev libldap2-dev libsasl2-dev \
    && rm -rf /var/lib/apt/lists/*

# torch==2.13.0 from PyPI is the CUDA build (gigabytes of libraries this image never uses); the
# PyTorch CPU index offers 2.13.0+cpu, which satisfies the same pin. Inside a network without
# internet access, pass the internal mirror: --build-arg PIP_INDEX_URL=... PIP_EXTRA_INDEX_URL=...
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

# Code belongs to root and is read-only for the service user; only /data is writable.
RUN useradd --system --uid 10001 --user-group --create-home --shell /usr/sbin/nologin docproc \
    && install -d -o docproc -g docproc /data
COPY . .
RUN python -m compileall -q docproc workers

USER docproc
VOLUME ["/data"]
EXPOSE 8000
CMD ["gunicorn", "docproc.wsgi", "--config=gunicorn.conf.py", "--bind=0.0.0.0:8000"]
