FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MAMPF_VAR_DIR=/app/var
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip
COPY . .
RUN pip install --no-cache-dir . \
    && DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "mampf.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "60"]
