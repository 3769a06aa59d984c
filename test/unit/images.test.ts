// Decoding image files with sharp: stills, every frame of a GIF with its delays, SVG, and
// clear errors for corrupt input and images over the pixel limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage } from '../../src/node/images';

/** Raw RGBA frames of 4x3 pixels, frame f filled with grey level 40 * f + 10. */
function frames(n: number): Buffer {
  const buf = Buffer.alloc(4 * 3 * 4 * n);
  for (let f = 0; f < n; f++) for (let i = 0; i < 12; i++) buf.set([40 * f + 10, 40 * f + 10, 40 * f + 10, 255], (f * 12 + i) * 4);
  return buf;
}

test('a PNG decodes to RGBA with its alpha', async () => {
  const png = await sharp(Buffer.from([255, 0, 0, 128, 0, 0, 255, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
  const { frames: [img], durationsMs } = await decodeImage(png);
  assert.equal(durationsMs, undefined);
  assert.equal(img.width, 2);
  assert.equal(img.height, 1);
  assert.deepEqual([...img.data], [255, 0, 0, 128, 0, 0, 255, 255]);
});

test('a JPEG without alpha gets an opaque alpha channel', async () => {
  const jpeg = await sharp(frames(1), { raw: { width: 4, height: 3, channels: 4 } }).flatten().jpeg({ quality: 100 }).toBuffer();
  const { frames: [img] } = await decodeImage(jpeg);
  assert.equal(img.data.length, 4 * 3 * 4);
  for (let i = 0; i < 12; i++) assert.equal(img.data[i * 4 + 3], 255);
  assert.ok(Math.abs(img.data[0] - 10) <= 2);
});

test('an animated GIF gives every frame and its delay', async () => {
  const gif = await sharp(frames(3), { raw: { width: 4, height: 9, channels: 4, pageHeight: 3 } }).gif({ delay: [500, 1000, 0], loop: 0 }).toBuffer();
  const { frames: decoded, durationsMs } = await decodeImage(gif);
  assert.equal(decoded.length, 3);
  decoded.forEach((f, i) => {
    assert.equal(f.width, 4);
    assert.equal(f.height, 3);
    assert.equal(f.data[0], 40 * i + 10, `frame ${i}`);
  });
  assert.deepEqual(durationsMs, [500, 1000, 100]);
});

test('an SVG is rendered', async () => {
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="4"><rect width="8" height="4" fill="#00ff00"/></svg>');
  const { frames: [img] } = await decodeImage(svg);
  assert.equal(img.width, 8);
  assert.equal(img.height, 4);
  assert.deepEqual([...img.data.subarray(0, 4)], [0, 255, 0, 255]);
});

test('corrupt or non-image bytes give a clear error', async () => {
  await assert.rejects(decodeImage(Buffer.from('this is a text file, not an image'), { name: 'notes.txt' }), /notes\.txt: not a readable PNG, JPEG, GIF, WebP or SVG image/);
  const png = await sharp(frames(1), { raw: { width: 4, height: 3, channels: 4 } }).png().toBuffer();
  await assert.rejects(decodeImage(png.subarray(0, 60), { name: 'cut.png' }), /cut\.png: /);
});

test('images over the pixel limit are refused before decoding', async () => {
  const png = await sharp(frames(1), { raw: { width: 4, height: 3, channels: 4 } }).png().toBuffer();
  await assert.rejects(decodeImage(png, { maxPixels: 11, name: 'big.png' }), /big\.png: 4x3 is over the limit of 11 pixels/);
  assert.equal((await decodeImage(png, { maxPixels: 12 })).frames.length, 1);
});
