"""The vidmem development set (issue #9): a scripted life-log week over real footage.

``script`` holds the week (days, chunks, spoken lines, on-screen signs), ``questions`` the graded
questions, ``media`` renders the chunks with espeak-ng and ffmpeg, ``score`` grades answers.
``bench/qa.py`` ingests the week and asks the questions.
"""
