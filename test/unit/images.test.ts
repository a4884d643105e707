// The image pipeline on real awkward files (DESIGN.md rule 10): every output is decoded again
// and checked for its exact size, its orientation and colours, and for the absence of any
// metadata block, both through sharp and by walking the file's own structure.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { fixture, PLANTED, type FixtureName } from '../fixtures/images.ts';
import {
  AVATAR_POLICY,
  BANNER_POLICY,
  BannerCropOutOfBoundsError,
  DEFAULT_IMAGE_LIMITS,
  ImageMissingError,
  ImageNotResizableError,
  ImageTooLargeError,
  ImageTooManyPixelsError,
  ImageUndecodableError,
  ImageUnsupportedTypeError,
  createImageProcessor,
  inspectImage,
  sniffType,
  type AvatarPlan,
  type EncodedImage,
  type ImageInfo,
  type ImageType,
} from '../../src/images/index.ts';
import {
  processAvatar,
  processBackground,
  processBanner,
  renderDefaultAvatar,
} from '../../src/images/transform.ts';

const images = createImageProcessor(DEFAULT_IMAGE_LIMITS);

const GOOD: { name: FixtureName; type: ImageType; width: number; height: number; frames: number }[] = [
  { name: 'alpha.png', type: 'png', width: 240, height: 160, frames: 1 },
  { name: 'progressive.jpg', type: 'jpeg', width: 320, height: 240, frames: 1 },
  { name: 'cmyk.jpg', type: 'jpeg', width: 300, height: 200, frames: 1 },
  { name: 'exif-orientation-6.jpg', type: 'jpeg', width: 200, height: 300, frames: 1 },
  { name: 'animated.gif', type: 'gif', width: 120, height: 80, frames: 3 },
  { name: 'animated.webp', type: 'webp', width: 120, height: 80, frames: 3 },
  { name: '16bit.png', type: 'png', width: 200, height: 150, frames: 1 },
  { name: 'grayscale.png', type: 'png', width: 200, height: 150, frames: 1 },
  { name: 'grayscale.jpg', type: 'jpeg', width: 200, height: 150, frames: 1 },
  { name: 'interlaced.png', type: 'png', width: 200, height: 150, frames: 1 },
  { name: 'image.webp', type: 'webp', width: 200, height: 150, frames: 1 },
  { name: 'wide.jpg', type: 'jpeg', width: 3000, height: 1000, frames: 1 },
  { name: 'small.png', type: 'png', width: 10, height: 10, frames: 1 },
  { name: 'tall.png', type: 'png', width: 1, height: 20000, frames: 1 },
  { name: 'animated-wide.gif', type: 'gif', width: 2400, height: 60, frames: 3 },
  { name: 'photo-700k.jpg', type: 'jpeg', width: 1600, height: 1200, frames: 1 },
];

// ---- helpers -------------------------------------------------------------------------------

type Rgb = [number, number, number];

async function pixel(bytes: Buffer, x: number, y: number, page = 0): Promise<Rgb> {
  const { data, info } = await sharp(bytes, { page })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const i = (Math.min(y, info.height - 1) * info.width + Math.min(x, info.width - 1)) * info.channels;
  return [data[i] ?? -1, data[i + 1] ?? -1, data[i + 2] ?? -1];
}

function assertColour(actual: Rgb, expected: Rgb, label: string, tolerance = 40): void {
  const far = actual.some((v, i) => Math.abs(v - (expected[i] ?? 0)) > tolerance);
  assert.ok(!far, `${label}: expected about rgb(${expected.join(',')}), got rgb(${actual.join(',')})`);
}

const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];

/** Top-level chunk, segment or block names of a PNG, JPEG (up to SOS), GIF or WebP file. */
function containerBlocks(bytes: Buffer, format: ImageType): string[] {
  const names: string[] = [];
  if (format === 'png') {
    for (let at = 8; at + 8 <= bytes.length; ) {
      const length = bytes.readUInt32BE(at);
      names.push(bytes.toString('latin1', at + 4, at + 8));
      at += 12 + length;
    }
  } else if (format === 'jpeg') {
    for (let at = 2; at + 4 <= bytes.length; ) {
      assert.equal(bytes[at], 0xff, 'JPEG segment starts with 0xFF');
      const marker = bytes[at + 1] ?? 0;
      names.push(marker.toString(16).toUpperCase());
      if (marker === 0xda) break; // SOS: entropy-coded data follows
      at += 2 + bytes.readUInt16BE(at + 2);
    }
  } else if (format === 'gif') {
    const flags = bytes[10] ?? 0;
    let at = 13 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
    const skipSubBlocks = () => {
      while ((bytes[at] ?? 0) !== 0) at += 1 + (bytes[at] ?? 0);
      at += 1;
    };
    while (at < bytes.length) {
      const introducer = bytes[at];
      if (introducer === 0x3b) {
        names.push('trailer');
        break;
      } else if (introducer === 0x21) {
        const label = bytes[at + 1] ?? 0;
        const app = label === 0xff ? `:${bytes.toString('latin1', at + 3, at + 14)}` : '';
        names.push(`ext-${label.toString(16).toUpperCase()}${app}`);
        at += 2;
        skipSubBlocks();
      } else if (introducer === 0x2c) {
        names.push('image');
        const local = bytes[at + 9] ?? 0;
        at += 10 + (local & 0x80 ? 3 << ((local & 7) + 1) : 0) + 1; // descriptor, local table, LZW code size
        skipSubBlocks();
      } else {
        assert.fail(`GIF: unexpected block 0x${(introducer ?? 0).toString(16)} at ${at}`);
      }
    }
  } else if (format === 'webp') {
    for (let at = 12; at + 8 <= bytes.length; ) {
      const length = bytes.readUInt32LE(at + 4);
      names.push(bytes.toString('latin1', at, at + 4));
      at += 8 + length + (length % 2);
    }
  }
  return names;
}

const FORBIDDEN_BYTES = [
  'Exif',
  'GPS',
  'http://ns.adobe.com/xap',
  'x:xmpmeta',
  'Photoshop 3.0',
  '8BIM',
  PLANTED.jpegComment,
  PLANTED.pngComment,
  PLANTED.gifComment,
  PLANTED.xmp,
  PLANTED.iptc,
  PLANTED.make,
];

async function assertNoMetadata(out: EncodedImage): Promise<void> {
  const meta = await sharp(out.bytes).metadata();
  assert.equal(meta.exif, undefined, `${out.name}: EXIF survived`);
  assert.equal(meta.xmp, undefined, `${out.name}: XMP survived`);
  assert.equal(meta.iptc, undefined, `${out.name}: IPTC survived`);
  assert.equal(meta.comments, undefined, `${out.name}: text comments survived`);
  assert.equal(meta.hasProfile, false, `${out.name}: ICC profile survived`);
  assert.equal(meta.orientation, undefined, `${out.name}: orientation tag survived`);
  for (const needle of FORBIDDEN_BYTES) {
    assert.equal(out.bytes.includes(needle), false, `${out.name}: bytes contain ${JSON.stringify(needle)}`);
  }
  const blocks = containerBlocks(out.bytes, out.format);
  const allowed: Record<ImageType, Set<string>> = {
    // pHYs (pixel density) and JFIF's APP0 (E0) describe the pixels, identify no one.
    png: new Set(['IHDR', 'PLTE', 'tRNS', 'pHYs', 'IDAT', 'IEND']),
    jpeg: new Set(['E0', 'DB', 'C0', 'C1', 'C2', 'C4', 'DD', 'DA']),
    webp: new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF']),
    // Graphic control (F9) and the looping NETSCAPE2.0 application block; no comment (FE), no XMP.
    gif: new Set(['ext-F9', 'ext-FF:NETSCAPE2.0', 'image', 'trailer']),
  };
  const essential: Record<ImageType, RegExp> = { png: /^IDAT$/, jpeg: /^DA$/, gif: /^trailer$/, webp: /^VP8/ };
  assert.ok(blocks.some((b) => essential[out.format].test(b)), `${out.name}: walked ${blocks.join(' ')}`);
  for (const block of blocks) {
    assert.ok(allowed[out.format].has(block), `${out.name}: unexpected ${out.format} block ${block}`);
  }
}

async function assertDecodesAs(out: EncodedImage, width: number, height: number, pages = 1): Promise<void> {
  const meta = await sharp(out.bytes, { pages: -1 }).metadata();
  assert.equal(meta.format, out.format, `${out.name}: decodes as ${out.format}`);
  assert.equal(meta.width, width, `${out.name}: width`);
  assert.equal(meta.pageHeight ?? meta.height, height, `${out.name}: height`);
  assert.equal(meta.pages ?? 1, pages, `${out.name}: pages`);
  assert.equal(meta.depth, 'uchar', `${out.name}: 8-bit`);
  assert.ok(meta.space === 'srgb' || meta.space === 'b-w', `${out.name}: colour space ${meta.space}`);
  assert.equal(out.width, width, `${out.name}: reported width`);
  assert.equal(out.height, height, `${out.name}: reported height`);
}

const CONTENT_TYPE: Record<ImageType, [string, string]> = {
  gif: ['image/gif', 'gif'],
  jpeg: ['image/jpeg', 'jpg'],
  png: ['image/png', 'png'],
  webp: ['image/webp', 'webp'],
};

async function rejects(promise: Promise<unknown>, errorClass: new (...args: never[]) => Error): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof errorClass, `expected ${errorClass.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${errorClass.name}, but it resolved`);
}

function byName<T extends EncodedImage>(outputs: T[], name: string): T {
  const found = outputs.find((o) => o.name === name);
  assert.ok(found, `output ${name} present`);
  return found;
}

// ---- sniffing and inspection ---------------------------------------------------------------

describe('sniffType', () => {
  it('recognises the four accepted signatures from bytes alone', () => {
    assert.equal(sniffType(fixture('alpha.png')), 'png');
    assert.equal(sniffType(fixture('progressive.jpg')), 'jpeg');
    assert.equal(sniffType(fixture('animated.gif')), 'gif');
    assert.equal(sniffType(fixture('image.webp')), 'webp');
    assert.equal(sniffType(Buffer.from('GIF87a')), 'gif');
  });

  it('returns null for other types, text and short input', () => {
    for (const name of ['image.svg', 'html.png', 'image.bmp', 'image.tiff', 'image.avif', 'empty.png'] as const) {
      assert.equal(sniffType(fixture(name)), null, name);
    }
    assert.equal(sniffType(Uint8Array.from([0xff, 0xd8])), null);
    assert.equal(sniffType(Buffer.from('RIFF\0\0\0\0WAVE')), null);
  });
});

describe('inspectImage', () => {
  for (const good of GOOD) {
    it(`reads the header of ${good.name}`, async () => {
      const info = await inspectImage(fixture(good.name), DEFAULT_IMAGE_LIMITS.banner);
      assert.equal(info.type, good.type);
      assert.equal(info.width, good.width);
      assert.equal(info.height, good.height);
      assert.equal(info.frames, good.frames);
    });
  }

  it('reports orientation and displayed (rotated) dimensions', async () => {
    const info = await inspectImage(fixture('exif-orientation-6.jpg'), DEFAULT_IMAGE_LIMITS.avatar);
    assert.deepEqual(info, { type: 'jpeg', width: 200, height: 300, frames: 1, hasAlpha: false, orientation: 6 });
  });

  it('reports alpha', async () => {
    assert.equal((await inspectImage(fixture('alpha.png'), DEFAULT_IMAGE_LIMITS.avatar)).hasAlpha, true);
    assert.equal((await inspectImage(fixture('image.webp'), DEFAULT_IMAGE_LIMITS.avatar)).hasAlpha, true);
  });

  it('zero bytes → ImageMissingError', async () => {
    await rejects(inspectImage(fixture('empty.png'), DEFAULT_IMAGE_LIMITS.avatar), ImageMissingError);
  });

  it('too many bytes → ImageTooLargeError carrying the limit, before any decoding', async () => {
    const bytes = fixture('photo-700k.jpg');
    const err = await rejects(
      inspectImage(bytes, { maxBytes: bytes.length - 1, maxPixels: 1e9 }),
      ImageTooLargeError,
    );
    assert.equal((err as ImageTooLargeError).maxBytes, bytes.length - 1);
    // Exactly at the limit is accepted.
    await inspectImage(bytes, { maxBytes: bytes.length, maxPixels: 1e9 });
    // Garbage over the limit is refused for its size, without looking at it.
    await rejects(inspectImage(Buffer.alloc(10, 1), { maxBytes: 9, maxPixels: 1 }), ImageTooLargeError);
  });

  for (const name of ['image.svg', 'html.png', 'image.bmp', 'image.tiff', 'image.avif'] as const) {
    it(`${name} → ImageUnsupportedTypeError`, async () => {
      await rejects(inspectImage(fixture(name), DEFAULT_IMAGE_LIMITS.avatar), ImageUnsupportedTypeError);
    });
  }

  it('a supported signature with an unreadable header → ImageUndecodableError', async () => {
    await rejects(inspectImage(fixture('corrupt-header.png'), DEFAULT_IMAGE_LIMITS.avatar), ImageUndecodableError);
    await rejects(inspectImage(Buffer.from('GIF89a'), DEFAULT_IMAGE_LIMITS.avatar), ImageUndecodableError);
    await rejects(inspectImage(Buffer.from('RIFF\0\0\0\0WEBPVP8 '), DEFAULT_IMAGE_LIMITS.avatar), ImageUndecodableError);
  });

  it('a 20000×20000 PNG bomb → ImageTooManyPixelsError from the header, without decompressing it', async () => {
    const bytes = fixture('bomb.png');
    assert.ok(bytes.length < 100 * 1024, 'the bomb is small on disk');
    const before = process.memoryUsage().rss;
    const err = await rejects(inspectImage(bytes, DEFAULT_IMAGE_LIMITS.avatar), ImageTooManyPixelsError);
    const grown = process.memoryUsage().rss - before;
    assert.equal((err as ImageTooManyPixelsError).maxPixels, DEFAULT_IMAGE_LIMITS.avatar.maxPixels);
    // Decoding would need 400 MB for the 8-bit pixels alone.
    assert.ok(grown < 100 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1024 / 1024)} MB`);
  });

  it('counts the pixels of all frames of an animation', async () => {
    const bytes = fixture('animated.gif'); // three frames of 120×80 = 9600 pixels
    await inspectImage(bytes, { maxBytes: 1e6, maxPixels: 3 * 9600 });
    await rejects(inspectImage(bytes, { maxBytes: 1e6, maxPixels: 3 * 9600 - 1 }), ImageTooManyPixelsError);
    await rejects(inspectImage(bytes, { maxBytes: 1e6, maxPixels: 9599 }), ImageTooManyPixelsError);
  });
});

// ---- avatar --------------------------------------------------------------------------------

describe('avatar', () => {
  for (const good of GOOD) {
    it(`${good.name}: original ≤ 400 wide and exact squares, same format, no metadata`, async () => {
      const outputs = await images.avatar(fixture(good.name));
      assert.deepEqual(
        outputs.map((o) => o.name),
        ['original', ...AVATAR_POLICY.squares.map((s) => s.name)],
      );
      const original = byName(outputs, 'original');
      const width = Math.min(good.width, AVATAR_POLICY.original.maxWidth);
      const height = Math.round((good.height * width) / good.width);
      await assertDecodesAs(original, width, height);
      for (const square of AVATAR_POLICY.squares) {
        await assertDecodesAs(byName(outputs, square.name), square.size, square.size);
      }
      for (const out of outputs) {
        assert.equal(out.format, good.type, `${out.name}: keeps the input's format`);
        assert.deepEqual([out.contentType, out.extension], CONTENT_TYPE[good.type]);
        await assertNoMetadata(out);
      }
    });
  }

  it('applies EXIF orientation 6: 300×200 stored becomes 200×300 with the red half on top', async () => {
    const outputs = await images.avatar(fixture('exif-orientation-6.jpg'));
    const original = byName(outputs, 'original');
    assert.deepEqual([original.width, original.height], [200, 300]);
    assertColour(await pixel(original.bytes, 100, 10), RED, 'original top');
    assertColour(await pixel(original.bytes, 100, 290), BLUE, 'original bottom');
    const square = byName(outputs, '400x400');
    assertColour(await pixel(square.bytes, 200, 10), RED, '400x400 top');
    assertColour(await pixel(square.bytes, 200, 390), BLUE, '400x400 bottom');
    assertColour(await pixel(square.bytes, 10, 100), RED, '400x400 top left');
  });

  it('converts CMYK to sRGB with three channels and the right colours', async () => {
    const outputs = await images.avatar(fixture('cmyk.jpg'));
    for (const out of outputs) {
      const meta = await sharp(out.bytes).metadata();
      assert.equal(meta.space, 'srgb', out.name);
      assert.equal(meta.channels, 3, out.name);
    }
    // Pure sRGB blue is outside any print gamut, so the round trip through CMYK darkens it;
    // what must hold is that the colours are not inverted or swapped.
    const original = byName(outputs, 'original');
    const [lr, lg, lb] = await pixel(original.bytes, 20, 100);
    assert.ok(lr > 180 && lg < 80 && lb < 80, `left half is red, got ${lr},${lg},${lb}`);
    const [rr, rg, rb] = await pixel(original.bytes, 280, 100);
    assert.ok(rb > 110 && rb > rr + 80 && rb > rg + 50, `right half is blue, got ${rr},${rg},${rb}`);
  });

  it('keeps alpha for PNG and WebP', async () => {
    for (const name of ['alpha.png', 'image.webp'] as const) {
      for (const out of await images.avatar(fixture(name))) {
        const meta = await sharp(out.bytes).metadata();
        assert.equal(meta.hasAlpha, true, `${name} ${out.name}`);
        assert.equal(meta.channels, 4, `${name} ${out.name}`);
      }
    }
  });

  it('turns an animated GIF or WebP into its first frame', async () => {
    for (const name of ['animated.gif', 'animated.webp'] as const) {
      for (const out of await images.avatar(fixture(name))) {
        const meta = await sharp(out.bytes, { pages: -1 }).metadata();
        assert.equal(meta.pages ?? 1, 1, `${name} ${out.name}`);
        assertColour(await pixel(out.bytes, 5, 5), RED, `${name} ${out.name} is the red first frame`);
      }
    }
  });

  it('16-bit PNG comes out 8-bit', async () => {
    for (const out of await images.avatar(fixture('16bit.png'))) {
      const meta = await sharp(out.bytes).metadata();
      assert.equal(meta.depth, 'uchar');
      assert.equal(meta.bitsPerSample, 8);
    }
  });

  it('a wide image: the original is scaled to 400 wide, the squares are centre crops', async () => {
    const outputs = await images.avatar(fixture('wide.jpg'));
    const original = byName(outputs, 'original');
    assert.deepEqual([original.width, original.height], [400, 133]);
    assertColour(await pixel(original.bytes, 20, 66), RED, 'original keeps the red left third');
    for (const square of AVATAR_POLICY.squares) {
      const out = byName(outputs, square.name);
      const left = await pixel(out.bytes, 0, square.size >> 1);
      assert.ok(left[0] < 200 || left[1] > 60, `${square.name}: the red third is cropped away, got ${left.join(',')}`);
    }
  });

  it('a 10×10 image keeps its size as the original and is enlarged to each exact square', async () => {
    const outputs = await images.avatar(fixture('small.png'));
    assert.deepEqual([byName(outputs, 'original').width, byName(outputs, 'original').height], [10, 10]);
    const big = byName(outputs, '400x400');
    assertColour(await pixel(big.bytes, 10, 200), RED, 'left of enlarged square');
    assertColour(await pixel(big.bytes, 390, 200), BLUE, 'right of enlarged square');
  });

  it('truncated files → ImageUndecodableError, not a half-grey image', async () => {
    await rejects(images.avatar(fixture('truncated.jpg')), ImageUndecodableError);
    await rejects(images.avatar(fixture('truncated.png')), ImageUndecodableError);
  });

  it('the other refusals come through the facade as the same named errors', async () => {
    await rejects(images.avatar(fixture('empty.png')), ImageMissingError);
    await rejects(images.avatar(fixture('html.png')), ImageUnsupportedTypeError);
    await rejects(images.avatar(fixture('image.svg')), ImageUnsupportedTypeError);
    await rejects(images.avatar(fixture('bomb.png')), ImageTooManyPixelsError);
    await rejects(images.avatar(Buffer.alloc(DEFAULT_IMAGE_LIMITS.avatar.maxBytes + 1)), ImageTooLargeError);
  });

  it('a square photo of 400 px or more: the original and 400x400 are one encode of the same pixels', async () => {
    const halves = await sharp({ create: { width: 800, height: 800, channels: 3, background: '#0000ff' } })
      .composite([{ input: { create: { width: 400, height: 800, channels: 3, background: '#ff0000' } }, left: 0, top: 0 }])
      .jpeg({ quality: 90 })
      .toBuffer();
    const outputs = await images.avatar(halves);
    const original = byName(outputs, 'original');
    const square = byName(outputs, '400x400');
    await assertDecodesAs(original, 400, 400);
    assert.ok(original.bytes.equals(square.bytes), 'the same bytes under both names');
    assertColour(await pixel(square.bytes, 100, 200), RED, '400x400 left');
    assertColour(await pixel(square.bytes, 300, 200), BLUE, '400x400 right');
    // Not square: the original keeps its aspect, so the two differ.
    const photo = await images.avatar(fixture('photo-700k.jpg'));
    await assertDecodesAs(byName(photo, 'original'), 400, 300);
    assert.ok(!byName(photo, 'original').bytes.equals(byName(photo, '400x400').bytes));
  });

  it('events: the plan once, after the decode and before any variant; then each variant once, before the result', async () => {
    const square = await sharp({ create: { width: 800, height: 800, channels: 3, background: '#3366cc' } }).jpeg().toBuffer();
    for (const [name, bytes] of [['photo-700k.jpg', fixture('photo-700k.jpg')], ['alpha.png', fixture('alpha.png')], ['square 800', square]] as const) {
      const heard: EncodedImage[] = [];
      const plans: AvatarPlan[] = [];
      let settled = false;
      const pending = images.avatar(bytes, {
        planned: (plan) => {
          assert.equal(heard.length, 0, `${name}: planned after a variant`);
          plans.push(plan);
        },
        encoded: (v) => {
          assert.equal(settled, false, `${name}: ${v.name} arrived after the result`);
          assert.equal(plans.length, 1, `${name}: ${v.name} arrived before the plan`);
          heard.push(v);
        },
      });
      const outputs = await pending.finally(() => (settled = true));
      assert.deepEqual(heard.map((v) => v.name).sort(), outputs.map((v) => v.name).sort(), name);
      for (const out of outputs) assert.ok(heard.includes(out), `${name}: ${out.name} is the object that was heard of`);
      const plan = plans[0]!;
      assert.deepEqual(plan.variants.map((v) => v.name).sort(), outputs.map((v) => v.name).sort(), `${name}: the plan names every variant`);
      for (const out of outputs) assert.equal(out.extension, plan.extension, `${name}: ${out.name}'s extension`);
      // sameAs exactly where two variants are one encode.
      const shared = plan.variants.filter((v) => v.sameAs !== undefined).map((v) => `${v.name}=${v.sameAs}`);
      assert.deepEqual(shared, name === 'square 800' ? ['400x400=original'] : [], name);
      for (const v of plan.variants) {
        if (v.sameAs) assert.equal(byName(outputs, v.name).bytes, byName(outputs, v.sameAs).bytes, `${name}: ${v.name} carries ${v.sameAs}'s bytes`);
      }
    }
  });

  it('a JPEG is held to the pixel limit by its decode, and bad bytes behind a JPEG signature are undecodable', async () => {
    const strict = createImageProcessor({ ...DEFAULT_IMAGE_LIMITS, avatar: { ...DEFAULT_IMAGE_LIMITS.avatar, maxPixels: 1000 * 1000 } });
    const heard: string[] = [];
    const err = await rejects(strict.avatar(fixture('photo-700k.jpg'), { planned: () => heard.push('planned'), encoded: (v) => heard.push(v.name) }), ImageTooManyPixelsError);
    assert.equal((err as ImageTooManyPixelsError).maxPixels, 1000 * 1000);
    assert.deepEqual(heard, [], 'nothing was planned or encoded');
    await rejects(images.avatar(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x5a)])), ImageUndecodableError);
  });

  it('an extreme aspect ratio still yields every variant; the original is not cropped', async () => {
    const outputs = await images.avatar(fixture('tall.png'));
    await assertDecodesAs(byName(outputs, 'original'), 1, 20000);
    for (const square of AVATAR_POLICY.squares) {
      await assertDecodesAs(byName(outputs, square.name), square.size, square.size);
    }
  });

  it('an output the encoder cannot write → ImageNotResizableError', async () => {
    // A real WebP cannot be this tall, so the type is forged to reach WebP's size limit.
    const info: ImageInfo = { type: 'webp', width: 1, height: 20000, frames: 1, hasAlpha: false };
    await rejects(processAvatar(fixture('tall.png'), info, { maxPixels: 1e6 }), ImageNotResizableError);
  });

  it('transform refuses other formats by itself (blocked loaders), even without inspection', async () => {
    const info: ImageInfo = { type: 'png', width: 64, height: 48, frames: 1, hasAlpha: false };
    for (const name of ['image.tiff', 'image.avif', 'image.svg', 'image.bmp'] as const) {
      await rejects(processAvatar(fixture(name), info, { maxPixels: 1e6 }), ImageUnsupportedTypeError);
      await rejects(processBackground(fixture(name), info, { maxPixels: 1e6 }), ImageUnsupportedTypeError);
    }
  });

  it('transform refuses too many pixels by itself (limitInputPixels), even without inspection', async () => {
    const info: ImageInfo = { type: 'png', width: 20000, height: 20000, frames: 1, hasAlpha: false };
    await rejects(processAvatar(fixture('bomb.png'), info, { maxPixels: 1_000_000 }), ImageTooManyPixelsError);
    await rejects(processBackground(fixture('bomb.png'), info, { maxPixels: 1_000_000 }), ImageTooManyPixelsError);
    await rejects(processBanner(fixture('bomb.png'), info, { maxPixels: 1_000_000 }), ImageTooManyPixelsError);
  });
});

// ---- background ----------------------------------------------------------------------------

describe('background', () => {
  it('scales an image wider than 2048 px down to 2048, aspect kept', async () => {
    const out = await images.background(fixture('wide.jpg'));
    await assertDecodesAs(out, 2048, 683);
    assert.equal(out.format, 'jpeg');
    await assertNoMetadata(out);
  });

  it('leaves a small image at its size', async () => {
    const out = await images.background(fixture('small.png'));
    await assertDecodesAs(out, 10, 10);
  });

  it('applies orientation and strips metadata', async () => {
    const out = await images.background(fixture('exif-orientation-6.jpg'));
    await assertDecodesAs(out, 200, 300);
    assertColour(await pixel(out.bytes, 100, 10), RED, 'top');
    await assertNoMetadata(out);
    await assertNoMetadata(await images.background(fixture('alpha.png')));
  });

  it('keeps all frames, timing and loop of an animated GIF and WebP', async () => {
    for (const [name, format] of [
      ['animated.gif', 'gif'],
      ['animated.webp', 'webp'],
    ] as const) {
      const out = await images.background(fixture(name));
      assert.equal(out.format, format);
      await assertDecodesAs(out, 120, 80, 3);
      const meta = await sharp(out.bytes, { pages: -1 }).metadata();
      assert.deepEqual(meta.delay, [100, 100, 100], `${name} delays`);
      assert.equal(meta.loop, 0, `${name} loops forever`);
      assertColour(await pixel(out.bytes, 5, 5, 0), RED, `${name} frame 1`);
      assertColour(await pixel(out.bytes, 5, 5, 1), GREEN, `${name} frame 2`);
      assertColour(await pixel(out.bytes, 5, 5, 2), BLUE, `${name} frame 3`);
      await assertNoMetadata(out);
    }
  });

  it('scales a wide animation down to 2048 px, every frame', async () => {
    const out = await images.background(fixture('animated-wide.gif'));
    await assertDecodesAs(out, 2048, 51, 3);
    assertColour(await pixel(out.bytes, 1000, 25, 2), BLUE, 'frame 3');
  });

  it('truncated → ImageUndecodableError', async () => {
    await rejects(images.background(fixture('truncated.jpg')), ImageUndecodableError);
    await rejects(images.background(fixture('truncated.png')), ImageUndecodableError);
  });
});

// ---- banner --------------------------------------------------------------------------------

describe('banner', () => {
  it('produces every variant at its exact size, in PNG, without metadata', async () => {
    const outputs = await images.banner(fixture('wide.jpg'));
    assert.deepEqual(
      outputs.map((o) => o.name),
      BANNER_POLICY.variants.map((v) => v.name),
    );
    for (const variant of BANNER_POLICY.variants) {
      const out = byName(outputs, variant.name);
      assert.equal(out.format, 'png');
      assert.equal(out.contentType, 'image/png');
      await assertDecodesAs(out, variant.width, variant.height);
      await assertNoMetadata(out);
    }
  });

  it('honours the crop region, in displayed (oriented) pixels', async () => {
    // Displayed, the orientation-6 fixture is 200×300: red top half, blue bottom half.
    const bytes = fixture('exif-orientation-6.jpg');
    const top = await images.banner(bytes, { width: 200, height: 100, offset_left: 0, offset_top: 0 });
    const bottom = await images.banner(bytes, { width: 200, height: 100, offset_left: 0, offset_top: 200 });
    for (const variant of BANNER_POLICY.variants) {
      const t = byName(top, variant.name);
      const b = byName(bottom, variant.name);
      await assertDecodesAs(t, variant.width, variant.height);
      for (const [x, y] of [
        [2, 2],
        [variant.width - 3, variant.height - 3],
      ] as const) {
        assertColour(await pixel(t.bytes, x, y), RED, `${variant.name} top crop at ${x},${y}`);
        assertColour(await pixel(b.bytes, x, y), BLUE, `${variant.name} bottom crop at ${x},${y}`);
      }
      await assertNoMetadata(t);
    }
  });

  it('enlarges a small image to the exact sizes', async () => {
    for (const out of await images.banner(fixture('small.png'))) {
      const variant = BANNER_POLICY.variants.find((v) => v.name === out.name);
      assert.ok(variant);
      await assertDecodesAs(out, variant.width, variant.height);
    }
  });

  it('rejects a crop region outside the image or not in whole pixels', async () => {
    const bytes = fixture('exif-orientation-6.jpg'); // 200×300 displayed
    const bad = [
      { width: 201, height: 100, offset_left: 0, offset_top: 0 },
      { width: 100, height: 100, offset_left: 101, offset_top: 0 },
      { width: 100, height: 100, offset_left: 0, offset_top: 201 },
      // 300×200 would fit the stored, unrotated image: the check uses displayed pixels.
      { width: 300, height: 200, offset_left: 0, offset_top: 0 },
      { width: 0, height: 100, offset_left: 0, offset_top: 0 },
      { width: 100, height: 100, offset_left: -1, offset_top: 0 },
      { width: 10.5, height: 100, offset_left: 0, offset_top: 0 },
      { width: Number.NaN, height: 100, offset_left: 0, offset_top: 0 },
    ];
    for (const crop of bad) {
      await rejects(images.banner(bytes, crop), BannerCropOutOfBoundsError);
    }
    // The whole image is a valid region.
    await images.banner(bytes, { width: 200, height: 300, offset_left: 0, offset_top: 0 });
  });

  it('refusals are the named errors', async () => {
    await rejects(images.banner(fixture('truncated.jpg')), ImageUndecodableError);
    await rejects(images.banner(fixture('bomb.png')), ImageTooManyPixelsError);
    await rejects(images.banner(fixture('empty.png')), ImageMissingError);
    await rejects(images.banner(fixture('image.svg')), ImageUnsupportedTypeError);
  });
});

// ---- default avatar ------------------------------------------------------------------------

describe('default avatar', () => {
  it('is a 400×400 original plus the exact squares, in PNG, rendered once', async () => {
    const first = await images.defaultAvatar();
    assert.deepEqual(
      first.map((o) => [o.name, o.width, o.height]),
      [
        ['original', 400, 400],
        ...AVATAR_POLICY.squares.map((s) => [s.name, s.size, s.size]),
      ],
    );
    for (const out of first) {
      assert.equal(out.format, 'png');
      await assertDecodesAs(out, out.width, out.height);
      await assertNoMetadata(out);
    }
    assert.equal(await renderDefaultAvatar(), first, 'the second call returns the cached result');
  });
});
