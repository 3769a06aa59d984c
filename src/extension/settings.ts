// The extension's settings (package.json "contributes.configuration"), read in one place.
import * as vscode from 'vscode';
import type { BackendChoice, GenerationSettings } from './protocol';

export const BUNDLED_MODEL = 'models/flamingo-screens';

export interface Settings extends GenerationSettings {
  /** Absolute folder of the model bundle. */
  modelFolder: vscode.Uri;
  backend: BackendChoice;
}

export function readSettings(extensionUri: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration('flamingo');
  const modelPath = c.get<string>('modelPath', '').trim();
  return {
    modelFolder: modelPath ? resolveModelPath(modelPath) : vscode.Uri.joinPath(extensionUri, BUNDLED_MODEL),
    backend: c.get<BackendChoice>('backend', 'auto'),
    maxTokens: Math.max(1, Math.floor(c.get<number>('maxTokens', 128))),
    temperature: Math.max(0, c.get<number>('temperature', 0)),
  };
}

/** An absolute path, `~/…`, or a path relative to the first workspace folder. */
function resolveModelPath(path: string): vscode.Uri {
  if (path.startsWith('~/') && process.env.HOME) return vscode.Uri.file(process.env.HOME + path.slice(1));
  if (path.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(path)) return vscode.Uri.file(path);
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? vscode.Uri.joinPath(folder.uri, path) : vscode.Uri.file(path);
}
