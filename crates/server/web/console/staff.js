// Who is signed in (`me`, the staff user) and the staff directory (`users`: names, tiers,
// presence and load). Live bindings, changed only through the functions here.
import { api } from "./api.js";

export let me = null;
export let users = [];

export function setMe(user) {
  me = user;
}

export function setUsers(list) {
  users = list;
}

export async function refreshUsers() {
  users = await api("GET", "/users");
  return users;
}
