export { decodePngRgb, encodePng, type EncodePngInput, type RgbImage } from './png.ts';
export { applyMark, markBox, MARK_MIN_SIZE, MARK_TEXT, type MarkBox } from './mark.ts';
export { a1111SamplerNames, formatInfotext, parseInfotext, samplerFromA1111, quote, unquote, readTextChunks, type Infotext, type InfotextInput } from '@imagen-ts/protocol';
export {
  IMAGEN_FORMAT,
  IMAGEN_KEY,
  ImagenPngInfo,
  infotextFor,
  JsonRequest,
  PARAMETERS_KEY,
  pngText,
  readPngMetadata,
  StageRun,
  type PngMetadata,
} from '@imagen-ts/protocol';
export { jsonRequest } from './metadata.ts';
