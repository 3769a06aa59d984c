// What the extension asks the model for each task, filled into the bundle's prompt template
// ("<image>{prompt}") after the image. These are the exact wordings the bundled model was
// trained with (its manifest's generation.prompts, docs/model-spec.md section 9): a small
// model answers well only to the prompts it saw. The tests run the command line with the
// same prompt to check that the editor gets the same greedy answer.
export const EXPLAIN_SCREENSHOT_PROMPT = 'Describe the screen.';
export const DESCRIBE_MOCKUP_PROMPT = 'Describe the screen.';
