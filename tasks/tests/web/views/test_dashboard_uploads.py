"""The run form's file inputs: limits shown, files sent with the run, errors beside them."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tasks.models import Artifact, Task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_form_has_a_file_input_with_its_limits(signed_in):
    html = signed_in.get("/?script=upload").content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" name="param_table"' in html
    assert 'accept=".csv,.txt"' in html
    assert 'data-max-size="1000"' in html
    assert ".csv, .txt, up to 1000" in html
    assert 'name="param_extra"' in html
    (extra,) = re.findall(r'<input[^>]*name="param_extra"[^>]*>', html)
    assert " multiple" in extra


def test_a_file_sent_from_the_form_runs_with_the_script(signed_in, recorded):
    table = SimpleUploadedFile("week.csv", b"a,b\n", content_type="text/csv")
    response = signed_in.post("/run/upload/", {"param_table": table})
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.params == {"table": ["week.csv"]}
    assert Artifact.objects.get(task=task).read() == b"a,b\n"


def test_a_wrong_file_is_refused_beside_its_field_with_nothing_stored(signed_in, recorded):
    wrong = SimpleUploadedFile("week.exe", b"MZ", content_type="application/octet-stream")
    response = signed_in.post("/run/upload/", {"param_table": wrong})
    assert response.status_code == 400
    assert "must be one of: .csv, .txt" in response.content.decode()
    assert not Task.objects.exists()
    assert not Artifact.objects.exists()


def test_a_file_over_its_limit_is_a_413_with_the_limit(signed_in, recorded):
    big = SimpleUploadedFile("week.csv", b"x" * 2000, content_type="text/csv")
    response = signed_in.post("/run/upload/", {"param_table": big})
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.content.decode()
    assert not Task.objects.exists()


def test_a_file_past_the_ceiling_gets_a_413_naming_it_not_a_generic_400(user, recorded, settings):
    settings.EXECUTOR_MAX_UPLOAD_BYTES = 100
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    form = client.get("/?script=upload")
    token = form.cookies["csrftoken"].value
    big = SimpleUploadedFile("week.csv", b"x" * 5000, content_type="text/csv")
    response = client.post("/run/upload/", {"csrfmiddlewaretoken": token, "param_table": big})
    assert response.status_code == 413
    assert "The file 'week.csv' is larger than 100 bytes." in response.content.decode()
    assert not Task.objects.exists()
