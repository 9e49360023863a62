"""Approval: submitting a post, deciding on it step by step, and asking again after edits.

The package is split by concern; import from the module that holds what you need:

- `eligibility`: which workflows and steps apply to a post, who may decide a step,
  where a request stands;
- `versions`: the snapshots approvers approve, and the diff between two;
- `lifecycle`: what an edit or an approval sets off (a new version, approval again,
  scheduling), shared by composing, media and campaigns;
- `decisions`: `post_submit`, `post_approve`, `post_reject`;
- `workflows`: creating, changing and deleting a workflow, adding, changing, moving and
  removing its steps (Settings → Approval workflows is `publishing.workflow_views`);
- `workflow_selectors`: the workflows as Settings lists them, and whom to ask when no
  workflow covers a post;
- `notifications`: the e-mails, and `approval_reminders_send`;
- `selectors`: the queue, a post's versions and requests, may-decide and may-submit;
- `panel`: the post page's approval panel.
"""
