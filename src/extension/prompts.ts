// What the extension asks the model for each task. Each is filled into the bundle's prompt
// template ("<image>{prompt}") after the image. The tests run the command line with the same
// prompt to check that the editor gets the same greedy answer.
export const EXPLAIN_SCREENSHOT_PROMPT = 'Explain this screenshot.';
export const DESCRIBE_MOCKUP_PROMPT = 'Describe this UI mockup: its regions, components and their labels.';
