// Opt-in extras, served at /js/analytics-extras.js and imported by the core tracker only when its
// script tag asks for them:
// - data-outbound: a click on a link to another host is the event "Outbound Link";
// - data-downloads: a click on a link to a file (by extension, or a `download` attribute) is the
//   event "File Download"; the attribute's value may list the extensions ("pdf,zip").
// Both go through the core's `almanac()`, with the link's URL as the `url` property, without its
// query string and fragment, which may carry personal data.
import "./types";

const DOWNLOADS =
  "pdf,zip,gz,tgz,bz2,xz,7z,rar,tar,dmg,exe,msi,pkg,deb,rpm,apk,iso,csv,xls,xlsx,doc,docx,ppt,pptx," +
  "odt,ods,odp,epub,txt,rtf,mp3,mp4,m4a,wav,ogg,mov,avi,mkv,webm";

try {
  const d = document;
  const tag = d.querySelector("script[data-key]")!;
  const outbound = tag.hasAttribute("data-outbound");
  const downloads = tag.getAttribute("data-downloads");
  const extensions = (downloads || DOWNLOADS).toLowerCase().split(/[\s,]+/);

  const click = (e: MouseEvent) => {
    try {
      // The primary button (click) and the middle one (auxclick: "open in a new tab").
      if (e.button > 1) return;
      const link = (e.target as Element).closest?.("a[href]") as HTMLAnchorElement | null;
      const url = link && new URL(link.href, location.href);
      if (!url || !/^https?:$/.test(url.protocol)) return;
      const file = url.pathname.split("/").pop()!;
      const extension = file.includes(".") && file.split(".").pop()!.toLowerCase();
      const props = { props: { url: url.origin + url.pathname } };
      if (downloads != null && (link!.hasAttribute("download") || (extension && extensions.includes(extension))))
        window.almanac!("File Download", props);
      else if (outbound && url.host != location.host) window.almanac!("Outbound Link", props);
    } catch {
      // The host page must never see our errors.
    }
  };
  // Capture phase: counted even when the page stops the event or navigates in its own handler.
  d.addEventListener("click", click, true);
  d.addEventListener("auxclick", click, true);
} catch {
  // As above.
}
