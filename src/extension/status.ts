// What the person sees of the engine outside the panel: a status bar item (model + backend),
// the "Flamingo" output channel with per-stage timings, a progress notification while the model
// loads, and an error message when it cannot.
import * as vscode from 'vscode';
import type { EngineState } from './protocol';

export class EngineStatus implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('Flamingo');
  private readonly item = vscode.window.createStatusBarItem('flamingo.status', vscode.StatusBarAlignment.Right, 100);
  private loading: { report(fraction: number): void; end(): void } | undefined;
  private idleText = '$(eye) Flamingo';
  private answering = 0;

  constructor() {
    this.item.name = 'Flamingo';
    this.item.command = 'flamingo.openChat';
    this.item.text = '$(eye) Flamingo';
    this.item.tooltip = 'Flamingo: the model loads when the chat panel opens';
    this.item.show();
  }

  /** Shows "answering" in the status bar until the returned function is called. */
  answerStarted(): () => void {
    this.answering++;
    this.render();
    let ended = false;
    return () => { if (!ended) { ended = true; this.answering--; this.render(); } };
  }

  log(line: string): void {
    this.output.appendLine(`[${new Date().toISOString().slice(11, 23)}] ${line}`);
  }

  show(s: EngineState): void {
    switch (s.state) {
      case 'loading': {
        const fraction = s.totalBytes ? s.loadedBytes / s.totalBytes : 0;
        this.item.text = `$(loading~spin) Flamingo: loading ${Math.round(fraction * 100)}%`;
        this.item.tooltip = `Loading ${s.model}`;
        (this.loading ??= this.startProgress(s.model)).report(fraction);
        break;
      }
      case 'ready':
        this.idleText = `$(eye) ${s.model} · ${s.backend === 'webgpu' ? 'WebGPU' : 'WASM'}`;
        this.render();
        this.item.tooltip = `Flamingo model "${s.model}" on ${s.detail}`;
        this.endProgress();
        break;
      case 'failed':
        this.idleText = '$(error) Flamingo: no model';
        this.render();
        this.item.tooltip = s.message;
        this.endProgress();
        this.log(`model load failed: ${s.message}`);
        void vscode.window.showErrorMessage(`Flamingo could not load the model at ${s.model}: ${s.message}`, 'Open Settings')
          .then((choice) => { if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'flamingo.modelPath'); });
        break;
      case 'idle':
        break;
    }
  }

  private render(): void {
    this.item.text = this.answering ? '$(loading~spin) Flamingo: answering…' : this.idleText;
  }

  dispose(): void {
    this.endProgress();
    this.item.dispose();
    this.output.dispose();
  }

  private startProgress(model: string): { report(fraction: number): void; end(): void } {
    // Made before withProgress runs its task, so a load that fails at once still ends it.
    let done!: () => void;
    const finished = new Promise<void>((r) => { done = r; });
    let last = 0;
    let progress: vscode.Progress<{ increment?: number; message?: string }> | undefined;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Flamingo: loading the model' },
      (p) => { progress = p; p.report({ message: model }); return finished; },
    );
    return {
      report: (fraction) => {
        const pct = Math.round(fraction * 100);
        if (pct > last) { progress?.report({ increment: pct - last, message: `${pct}%` }); last = pct; }
      },
      end: done,
    };
  }

  private endProgress(): void {
    this.loading?.end();
    this.loading = undefined;
  }
}
