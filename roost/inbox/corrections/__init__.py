"""The classifier learns from the team: agents correct a conversation's language,
sentiment or intent, and each organisation's adapter is learned from its own corrections.

- `services.conversation_label_correct`: one correction, audited, priority recomputed;
- `services.classifier_retrain`: learn and store the organisation's adapter, with its
  evaluation on the newest corrections held out (`evaluation`);
- `adapter.adapt`: apply it on top of the base classification where messages arrive
  (`roost.inbox.ingest`), loaded once per batch by `selectors.adapter_for`.

No organisation's corrections ever reach another's adapter: every read is by
organisation.
"""
