"""Pipeline stages as plain functions and classes on frozen dataclasses.

Nothing here touches the ORM: services load rows, call a stage, and persist what it returns.
Each third-party engine is imported by exactly one module of this package.
"""
