import { HttpService } from '@nestjs/axios';
import { Axios, type AxiosInstance } from 'axios';

/**
 * HttpService over a bare `Axios`, not `axios.create()`: no global defaults to merge into every
 * request (transforms, per-method header buckets, XSRF and proxy settings, the adapter list) and
 * no interceptors. What is left per request is axios's own core: the config and header objects it
 * builds. Every request names its adapter (undici: see undici-adapter.ts) and which statuses are
 * errors.
 */
export function leanHttpService(): HttpService {
  const axios = new Axios({});
  // HttpService calls the instance's methods, which Axios has; it never calls the instance itself.
  return new HttpService(axios as AxiosInstance);
}
