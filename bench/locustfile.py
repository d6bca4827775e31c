"""Staff browsing customers: dashboard, list, search by phone, open a customer's
360 page (locust).

Run through ``bench/bench_web.py``, which starts ``guanxi start`` on the data
folder, writes the sample of customers and passes the login. By hand::

    GUANXI_BENCH_USER=demo_admin GUANXI_BENCH_PASSWORD=... \\
    GUANXI_BENCH_SAMPLE=/tmp/sample.json \\
    locust -f bench/locustfile.py --headless -u 10 -r 10 -t 60s \\
        --host http://127.0.0.1:8000

The sample file is a JSON list of ``[customer id, phone]`` pairs.
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, between, task

with open(os.environ["GUANXI_BENCH_SAMPLE"], encoding="utf-8") as _fh:
    SAMPLE: list[list[object]] = json.load(_fh)
_WAIT = [float(x) for x in os.environ.get("GUANXI_BENCH_WAIT", "0.5,1.5").split(",")]
#: The data folder has finished scoring runs (``bench_web.py`` checks).
SCORED = os.environ.get("GUANXI_BENCH_SCORED") == "1"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Staff(HttpUser):
    wait_time = between(_WAIT[0], _WAIT[1])

    def on_start(self) -> None:
        page = self.client.get("/login/", name="login").text
        match = _TOKEN.search(page)
        token = match.group(1) if match else ""
        response = self.client.post(
            "/login/",
            data={
                "username": os.environ["GUANXI_BENCH_USER"],
                "password": os.environ["GUANXI_BENCH_PASSWORD"],
                "csrfmiddlewaretoken": token,
            },
            name="login",
            # Not on to the dashboard: its aggregates are not what this measures.
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError("login refused: check GUANXI_BENCH_USER/PASSWORD")

    @task(3)
    def customer_list(self) -> None:
        self.client.get("/customers/", name="customer list")

    @task(2)
    def search_by_phone(self) -> None:
        _, phone = random.choice(SAMPLE)
        with self.client.get(
            "/customers/",
            params={"q": phone},
            name="search by phone",
            catch_response=True,
        ) as response:
            # The phone's customer must be in the answer, or the search is wrong.
            if response.status_code == 200 and "/customers/" not in response.text:
                response.failure("customer not found by phone")

    @task(3)
    def customer_detail(self) -> None:
        customer_id, _ = random.choice(SAMPLE)
        with self.client.get(
            f"/customers/{customer_id}/", name="customer 360", catch_response=True
        ) as response:
            # Scored data folders: the page must show the customer's scores.
            if (
                response.status_code == 200
                and SCORED
                and "score-explanation" not in response.text
            ):
                response.failure("no scores on the 360 page")

    @task(2)
    def dashboard(self) -> None:
        with self.client.get("/", name="dashboard", catch_response=True) as response:
            if (
                response.status_code == 200
                and SCORED
                and "dashboard-scores-data" not in response.text
            ):
                response.failure("no score figures on the dashboard")
        # What the page then loads (htmx): the order figures, or "being
        # computed, ask again" while one request computes them for the scope.
        self.client.get("/dashboard/orders/", name="dashboard order figures")
