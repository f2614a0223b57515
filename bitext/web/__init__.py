"""The local web app: review pages and the HTTP API in one Starlette application.

One package so that the pages (`bitext review`) and the API (`bitext serve`)
share one security layer (`app.py`) and one lifecycle (`server.py`). Neither the
pipeline nor the CLI holds web code beyond starting it.
"""
