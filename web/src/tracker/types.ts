// The page-facing API: `almanac(name, {props})`, queued in `almanac.q` until the tracker loads.
export type Props = Record<string, string | number | boolean>;

export interface Almanac {
  (name: string, options?: { props?: Props }): void;
  q?: IArguments[];
}

declare global {
  interface Window {
    almanac?: Almanac;
  }
  interface Navigator {
    globalPrivacyControl?: boolean;
  }
}
