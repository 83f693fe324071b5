"""Durable background work: tasks that take ids, a Celery app, and an in-process runner.

`tasks.py` holds the task bodies (plain functions of ids, each opening its own transaction and
safe to run twice); `dispatch.py` sends them to Celery (`cloudwarden worker`) or runs them on a
thread pool inside `cloudwarden serve` (the embedded default, no broker); `celery_app.py` is the
Celery app with its beat schedule; `context.py` what a task needs (store, AWS, channels).
"""
