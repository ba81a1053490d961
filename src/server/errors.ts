/**
 * The server's error catalogue (fastify's FST_ERR_* idea): every refusal has a stable code, an
 * HTTP status and a message that says what was wrong with the request. A refusal is always an
 * HTTP answer; nothing a client sends can make the server crash.
 */
export interface ServerErrorBody {
  code: string;
  message: string;
}

export const PAL_ERR_INVALID_REVIEW = 'PAL_ERR_INVALID_REVIEW';
export const PAL_ERR_INVALID_JSON = 'PAL_ERR_INVALID_JSON';
export const PAL_ERR_BODY_TOO_LARGE = 'PAL_ERR_BODY_TOO_LARGE';
export const PAL_ERR_MEDIA_TYPE = 'PAL_ERR_MEDIA_TYPE';
export const PAL_ERR_NOT_READY = 'PAL_ERR_NOT_READY';
export const PAL_ERR_BAD_REQUEST = 'PAL_ERR_BAD_REQUEST';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: unknown;
  validationContext?: string;
}

/** Maps what fastify raised while reading a request to our code, status and a clear message. */
export function classifyRequestError(error: FastifyLikeError, bodyLimit: number): { status: number; body: ServerErrorBody } {
  if (error.validation) {
    return { status: 400, body: { code: PAL_ERR_INVALID_REVIEW, message: `not a valid AdmissionReview admission.k8s.io/v1: ${error.message}` } };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { code: PAL_ERR_BODY_TOO_LARGE, message: `request body is larger than the limit of ${bodyLimit} bytes` } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { code: PAL_ERR_MEDIA_TYPE, message: 'expected Content-Type: application/json' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { code: PAL_ERR_INVALID_JSON, message: 'request body is empty; expected an AdmissionReview' } };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { code: PAL_ERR_INVALID_JSON, message: `request body is not valid JSON: ${error.message}` } };
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return { status: 400, body: { code: PAL_ERR_INVALID_JSON, message: `request body is not valid JSON: ${error.message}` } };
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  return { status, body: { code: status === 500 ? 'PAL_ERR_INTERNAL' : PAL_ERR_BAD_REQUEST, message: status === 500 ? 'internal error' : error.message } };
}
