"""The playbook of recommended next actions: stage × quadrant → action.

``defaults`` holds the seed playbook's rows, ``lookup`` picks a customer's
action, ``services`` writes the table, ``forms``/``views``/``urls`` are the
admins' editor. Other apps reach it through ``insights.selectors``.
"""
