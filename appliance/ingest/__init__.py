"""Ingestion: tracking hits become events and sessions through a pipeline of named steps."""
