"""Reading a conversation: clauses, negation, questions, reported speech, who said what, money terms, and the
user's decisions about the events found (confirm / reject / facts they add).

Modules: ``clauses`` (cutting and marking clauses), ``money`` (money terms), ``reader`` (events from the
``[[kind]]`` rules of ``data/chat_rules.toml``), ``facts`` (the case's decisions: ``confirmed_events``,
``facts_for_statement``). Nothing here imports typer or rich.
"""
