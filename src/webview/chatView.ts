// The chat panel's DOM: header (model, backend, load progress), the conversation, and a composer
// that takes pasted or dropped images, GIFs and recordings beside text. It renders and collects
// input; the conversation logic lives in conversation.ts.
import type { FrameSampling } from './mediaDecode';

export interface Attachment { name: string; bytes: Uint8Array; previewUrl: string; isVideo: boolean }

export interface ChatCallbacks {
  ask(text: string, attachments: Attachment[]): void;
  addExample(answer: string, attachments: Attachment[]): void;
  stop(): void;
  newChat(): void;
  copy(text: string): void;
  insert(text: string): void;
}

/** One answer bubble that grows as tokens arrive. */
export interface AnswerBubble {
  append(text: string): void;
  finish(note: string): void;
  fail(message: string): void;
}

const MEDIA_TYPES = /^(image\/|video\/(webm|mp4))/;

export class ChatView {
  private readonly modelLabel: HTMLElement;
  private readonly backendBadge: HTMLElement;
  private readonly progress: HTMLProgressElement;
  private readonly statusLine: HTMLElement;
  private readonly log: HTMLElement;
  private readonly tray: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly exampleButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private attachments: Attachment[] = [];
  /** The thumbnails of the conversation's media, to label them with the frames taken. */
  private readonly figures = new WeakMap<Attachment, HTMLElement>();

  constructor(root: HTMLElement, private readonly on: ChatCallbacks) {
    root.replaceChildren();
    const header = el('header', 'header');
    this.modelLabel = el('span', 'model', 'No model loaded');
    this.backendBadge = el('span', 'backend', '…');
    this.backendBadge.title = 'Where the model runs';
    const newChat = button('New chat', 'secondary', () => { this.log.replaceChildren(); this.on.newChat(); });
    newChat.title = 'Forget the conversation';
    header.append(this.modelLabel, this.backendBadge, newChat);
    this.progress = document.createElement('progress');
    this.progress.className = 'load';
    this.progress.hidden = true;
    this.statusLine = el('div', 'status');
    this.statusLine.setAttribute('role', 'status');

    this.log = el('main', 'log');
    this.log.setAttribute('aria-live', 'polite');

    const composer = el('footer', 'composer');
    this.tray = el('div', 'tray');
    this.input = document.createElement('textarea');
    this.input.className = 'input';
    this.input.rows = 3;
    this.input.placeholder = 'Paste or drop screenshots, GIFs or recordings, then ask about them (Enter sends)';
    this.input.setAttribute('aria-label', 'Message');
    const actions = el('div', 'actions');
    this.sendButton = button('Ask', 'primary', () => this.submit(false));
    this.exampleButton = button('Add as example', 'secondary', () => this.submit(true));
    this.exampleButton.title = 'Add the attached image with your text as its answer: an example for the model to follow';
    this.stopButton = button('Stop', 'stop', () => this.on.stop());
    this.stopButton.hidden = true;
    actions.append(this.exampleButton, this.sendButton, this.stopButton);
    composer.append(this.tray, this.input, actions);
    root.append(header, this.progress, this.statusLine, this.log, composer);

    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submit(false); }
    });
    document.addEventListener('paste', (e) => {
      const files = mediaFiles(e.clipboardData?.files);
      if (files.length) { e.preventDefault(); void this.attach(files); }
    });
    // The panel takes file drags itself: VS Code's webview host script, which sees them next,
    // hands them to the workbench (it turns pointer events off on this frame unless Shift is
    // held), and the drop would never reach the panel.
    const takeDrag = (e: DragEvent) => { e.preventDefault(); e.stopPropagation(); root.classList.add('dragging'); };
    root.addEventListener('dragenter', takeDrag);
    root.addEventListener('dragover', takeDrag);
    // Moving between the panel's own elements is no leaving.
    root.addEventListener('dragleave', (e) => { if (!root.contains(e.relatedTarget as Node | null)) root.classList.remove('dragging'); });
    root.addEventListener('drop', (e) => {
      e.preventDefault();
      root.classList.remove('dragging');
      const files = mediaFiles(e.dataTransfer?.files);
      if (files.length) void this.attach(files);
      else this.notice('Only images, GIFs and WebM/MP4 recordings can be dropped here.');
    });
  }

  showModel(label: string): void { this.modelLabel.textContent = label; }

  showBackend(backend: string, detail: string): void {
    this.backendBadge.textContent = backend;
    this.backendBadge.title = detail;
    this.backendBadge.dataset.backend = backend.toLowerCase();
  }

  showProgress(fraction: number | undefined, text: string): void {
    this.progress.hidden = fraction === undefined;
    if (fraction !== undefined) this.progress.value = fraction;
    this.statusLine.textContent = text;
  }

  notice(text: string): void {
    const n = el('div', 'notice', text);
    n.setAttribute('role', 'alert');
    this.log.append(n);
    this.scroll();
  }

  setBusy(busy: boolean): void {
    this.stopButton.hidden = !busy;
    this.sendButton.hidden = busy;
    this.exampleButton.disabled = busy;
  }

  focusInput(): void { this.input.focus(); }

  /** Adds the person's turn to the log. */
  showTurn(text: string, attachments: Attachment[], asExample: boolean): void {
    const turn = el('div', 'turn user');
    if (attachments.length) {
      const strip = el('div', 'thumbs');
      for (const a of attachments) {
        const figure = el('figure', 'media');
        figure.append(thumbnail(a));
        this.figures.set(a, figure);
        strip.append(figure);
      }
      turn.append(strip);
    }
    if (asExample) {
      turn.append(el('div', 'label', 'Example answer'));
    }
    if (text) turn.append(el('div', 'text', text));
    this.log.append(turn);
    this.scroll();
  }

  /** Labels a GIF or recording in the conversation with the number of frames the model sees. */
  showFrames(a: Attachment, frames: number, sampling: FrameSampling): void {
    const figure = this.figures.get(a);
    if (!figure) return;
    const caption = el('figcaption', 'frames', `${frames} frame${frames === 1 ? '' : 's'}`);
    caption.title = `Sampled at ${sampling.fps} per second, at most ${sampling.maxFrames}`;
    figure.querySelector('.frames')?.remove();
    figure.append(caption);
  }

  /** Starts an answer bubble. */
  startAnswer(): AnswerBubble {
    const turn = el('div', 'turn answer streaming');
    const text = el('div', 'text');
    const foot = el('div', 'answer-actions');
    const note = el('span', 'note');
    turn.append(text, foot);
    this.log.append(turn);
    this.scroll();
    const actions = () => {
      // Trimmed, as answers streamed into documents are.
      const content = (text.textContent ?? '').trim();
      foot.append(
        button('Copy', 'link', () => this.on.copy(content)),
        button('Insert into editor', 'link', () => this.on.insert(content)),
        note,
      );
    };
    return {
      append: (t) => { text.textContent += t; this.scroll(); },
      finish: (n) => { turn.classList.remove('streaming'); note.textContent = n; if (text.textContent) actions(); },
      fail: (message) => {
        turn.classList.remove('streaming');
        turn.classList.add('failed');
        const err = el('div', 'error', message);
        err.setAttribute('role', 'alert');
        turn.append(err);
        this.scroll();
      },
    };
  }

  private submit(asExample: boolean): void {
    const text = this.input.value.trim();
    if (!text && !this.attachments.length) return;
    if (asExample && !text) { this.notice('Write the answer you expect for the attached media, then add it as an example.'); return; }
    const attachments = this.attachments;
    this.attachments = [];
    this.tray.replaceChildren();
    this.input.value = '';
    if (asExample) this.on.addExample(text, attachments);
    else this.on.ask(text, attachments);
  }

  private async attach(files: File[]): Promise<void> {
    for (const f of files) {
      const bytes = new Uint8Array(await f.arrayBuffer());
      const a: Attachment = {
        name: f.name || 'pasted image', bytes, isVideo: f.type.startsWith('video/'),
        previewUrl: URL.createObjectURL(new Blob([bytes], { type: f.type })),
      };
      this.attachments.push(a);
      const chip = el('div', 'chip');
      chip.append(thumbnail(a), button('×', 'remove', () => {
        this.attachments = this.attachments.filter((x) => x !== a);
        chip.remove();
      }));
      (chip.lastChild as HTMLElement).setAttribute('aria-label', `Remove ${a.name}`);
      this.tray.append(chip);
    }
    this.input.focus();
  }

  private scroll(): void { this.log.scrollTop = this.log.scrollHeight; }
}

function mediaFiles(list: FileList | undefined | null): File[] {
  return Array.from(list ?? []).filter((f) => MEDIA_TYPES.test(f.type));
}

function thumbnail(a: Attachment): HTMLElement {
  // SVGs show through <img> too: an image element never runs an SVG's scripts.
  const media = a.isVideo ? document.createElement('video') : document.createElement('img');
  media.src = a.previewUrl;
  media.className = 'thumb';
  media.title = a.name;
  if (media instanceof HTMLImageElement) media.alt = a.name;
  return media;
}

function el(tag: string, className: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(label: string, className: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = className;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}
