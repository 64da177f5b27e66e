"""The spaCy NLP provider (role ``nlp``): packaged model loads offline, finds PERSON names and not
mis-heard noun phrases, and a disabled or broken name behaves like the other roles."""

import pytest

from memory_core.providers.base import ProviderError
from memory_core.providers.registry import ProviderRegistry
from memory_core.settings import Settings


@pytest.fixture(scope="module")
def nlp():
    return ProviderRegistry(Settings()).nlp()


def test_offline_model_finds_people_and_numbers(nlp):
    spans = nlp.entities("This is Tom. Thanks, Priya. The code changed to forty thousand.")
    labels = {(s.text, s.label) for s in spans}
    assert ("Tom", "PERSON") in labels and ("Priya", "PERSON") in labels
    assert ("forty thousand", "CARDINAL") in labels
    text = "This is Tom."
    tom = next(s for s in spans if s.text == "Tom")
    assert text[tom.start : tom.end] == "Tom"


def test_misheard_noun_phrase_is_not_a_person(nlp):
    assert nlp.persons("I poured some otto milk into the coffee.") == []


def test_disabled_and_unknown_names():
    assert ProviderRegistry(Settings(models={"nlp": "none"})).nlp() is None
    with pytest.raises(ProviderError):
        ProviderRegistry(Settings(models={"nlp": "no_such_spacy_pipeline_xyz"})).nlp()
