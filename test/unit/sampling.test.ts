// Sampling: greedy, top-k and top-p limits, repetition penalty, seeded determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRepetitionPenalty, candidateDistribution, sampleToken, seededRandom } from '../../src/flamingo/sampling';

const greedy = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1 };
const logits = () => Float32Array.from([1, 4, 2, 3, 0]); // order: 1, 3, 2, 0, 4

test('greedy picks the largest logit', () => {
  assert.equal(sampleToken(logits(), greedy, [], Math.random), 1);
});

test('top-k keeps only the k largest', () => {
  const { ids } = candidateDistribution(logits(), { temperature: 1, topK: 2, topP: 1 });
  assert.deepEqual(ids, [1, 3]);
  const random = seededRandom(1);
  for (let i = 0; i < 200; i++) assert.ok([1, 3].includes(sampleToken(logits(), { ...greedy, temperature: 1, topK: 2 }, [], random)));
});

test('top-p keeps the smallest set reaching p, and at least one token', () => {
  // Softmax of [1, 4, 2, 3, 0]: 0.6364 (id 1), 0.2341 (id 3), 0.0861 (id 2), ...
  assert.deepEqual(candidateDistribution(logits(), { temperature: 1, topK: 0, topP: 0.5 }).ids, [1]);
  assert.deepEqual(candidateDistribution(logits(), { temperature: 1, topK: 0, topP: 0.8 }).ids, [1, 3]);
  assert.deepEqual(candidateDistribution(logits(), { temperature: 1, topK: 0, topP: 0.9 }).ids, [1, 3, 2]);
  const { probs } = candidateDistribution(logits(), { temperature: 1, topK: 0, topP: 0.8 });
  assert.ok(Math.abs(probs[0] - Math.exp(4) / (Math.exp(4) + Math.exp(3))) < 1e-9);
});

test('repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
  const l = Float32Array.from([2, -2, 3]);
  applyRepetitionPenalty(l, [0, 1, 1], 2);
  assert.deepEqual([...l], [1, -4, 3]);
  // Penalising the leader changes the greedy choice.
  assert.equal(sampleToken(logits(), { ...greedy, repetitionPenalty: 2 }, [1], Math.random), 3);
});

test('the same seed gives the same samples; another seed differs', () => {
  const run = (seed: number) => {
    const random = seededRandom(seed);
    return Array.from({ length: 50 }, () => sampleToken(logits(), { ...greedy, temperature: 1.5 }, [], random));
  };
  assert.deepEqual(run(42), run(42));
  assert.notDeepEqual(run(42), run(43));
  // High temperature really samples: more than one distinct token.
  assert.ok(new Set(run(42)).size > 1);
});
