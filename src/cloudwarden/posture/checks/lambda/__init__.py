"""Lambda checks. The package is named after the inventory service ("lambda"); being a Python
keyword it cannot appear in an import statement, so shared helpers live in
collectors/awslambda.py and the registry loads these modules with importlib."""
