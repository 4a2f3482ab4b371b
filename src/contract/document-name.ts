/** Contract §3: document names are 1–255 characters of `[A-Za-z0-9_-]`; anything else is closed 4007. */
export const DOCUMENT_NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/

export const isValidDocumentName = (name: unknown): name is string =>
  typeof name === 'string' && DOCUMENT_NAME_PATTERN.test(name)
