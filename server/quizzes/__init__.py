"""Quizzes (issue 12): question banks, daily practice, exams and contests, the wrong-answer book, results.

The server keeps the clock and the answer key: answers are saved as the member goes, accepted only until
the attempt's deadline, and scored on the server when submitted or when the time runs out.
"""
