"""Readers that bring OpenAlex records into biblio datasets: the REST API and snapshot files."""
