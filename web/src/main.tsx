// The dashboard's entry point: the styles, the app, and in-app links that do not reload the page.
import { render } from "preact";
import { App } from "./app";
import { followLink } from "./router";
import "./styles.css";

document.addEventListener("click", followLink);
render(<App />, document.getElementById("app") as HTMLElement);
