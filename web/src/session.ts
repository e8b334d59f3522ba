// Who is signed in, for every view.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { api, type User } from "./api";
import { navigate } from "./router";

export interface Session {
  user: User | null;
  setUser: (user: User | null) => void;
}

export const SessionContext = createContext<Session>({ user: null, setUser: () => undefined });
export const useSession = () => useContext(SessionContext);

export async function signOut(setUser: (user: User | null) => void): Promise<void> {
  try {
    await api("POST", "/api/logout");
  } catch {
    // Signed out already, or the server is away: the session is forgotten here either way.
  } finally {
    setUser(null);
    navigate("/login");
  }
}
