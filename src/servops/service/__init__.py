"""The live work-order service: storage, domain operations, audit, events as the log.

Nothing here is imported by ``import servops``: SQLAlchemy, pg8000 and Alembic load only
when the service is used.
"""
