"""Helpers shared by the test suites: one implementation each, imported as `support.<module>`.

`tests/` is on `sys.path` for every test (pytest's default `prepend` import mode puts the
directory of the root `tests/conftest.py` there), so any test directory may import
`support.waiting`, `support.kube` and the others, whether pytest runs the whole suite or a
single file.
"""
