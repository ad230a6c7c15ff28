// A small IRC client for the browser, over IRC-over-WebSocket
// (https://ircv3.net/specs/extensions/websocket, subprotocol text.ircv3.net:
// one IRC line per text message, without CR LF, both ways).
//
// Parts, in order: IRC lines (parse, build), the connection (reconnects with
// backoff), conversations (state), the server's messages (handlers), what
// the user types (commands), rendering, and start-up.
//
// Safety rule: everything that comes from the server or a peer reaches the
// page through textContent / createTextNode only, never as HTML.
"use strict";

(() => {
  // ------------------------------------------------------------ IRC lines

  const TAG_ESCAPES = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };

  // "@a=b;c :nick!user@host CMD p1 p2 :trailing" ->
  // { tags: {a: "b", c: ""}, source, nick, command: "CMD", params: [p1, p2, "trailing"] }
  function parseLine(line) {
    const msg = { tags: {}, source: "", nick: "", command: "", params: [] };
    let i = 0;
    const word = () => {
      while (line[i] === " ") i++;
      let end = line.indexOf(" ", i);
      if (end < 0) end = line.length;
      const w = line.slice(i, end);
      i = end;
      return w;
    };
    if (line[0] === "@") {
      for (const tag of word().slice(1).split(";")) {
        if (!tag) continue;
        const eq = tag.indexOf("=");
        if (eq < 0) msg.tags[tag] = "";
        else msg.tags[tag.slice(0, eq)] = tag.slice(eq + 1).replace(/\\(.?)/g, (_, c) => TAG_ESCAPES[c] ?? c);
      }
    }
    while (line[i] === " ") i++;
    if (line[i] === ":") msg.source = word().slice(1);
    msg.nick = msg.source.split(/[!@]/)[0];
    msg.command = word().toUpperCase();
    while (i < line.length) {
      while (line[i] === " ") i++;
      if (i >= line.length) break;
      if (line[i] === ":") { msg.params.push(line.slice(i + 1)); break; }
      msg.params.push(word());
    }
    return msg.command ? msg : null;
  }

  // buildLine("PRIVMSG", "#a", "hi there") -> "PRIVMSG #a :hi there".
  // CR, LF and NUL can never be smuggled into a line.
  function buildLine(command, ...params) {
    const clean = params.map((p) => String(p).replace(/[\r\n\0]/g, " "));
    const last = clean.length - 1;
    if (last >= 0 && (clean[last] === "" || clean[last].includes(" ") || clean[last][0] === ":")) {
      clean[last] = ":" + clean[last];
    }
    return [command, ...clean].join(" ");
  }

  // Splits text into pieces of at most `max` UTF-8 bytes, between code points.
  function splitText(text, max = 400) {
    const pieces = [];
    let piece = "", bytes = 0;
    for (const ch of text) {
      const n = new TextEncoder().encode(ch).length;
      if (bytes + n > max) { pieces.push(piece); piece = ""; bytes = 0; }
      piece += ch;
      bytes += n;
    }
    if (piece) pieces.push(piece);
    return pieces;
  }

  // mIRC formatting (bold, colours, ...) is dropped, not rendered.
  const stripFormatting = (s) =>
    s.replace(/\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, "");

  // --------------------------------------------------------- connection

  // One WebSocket at a time. When it closes without the user asking, it
  // tries again after 1 s, 2 s, 4 s ... 30 s; registered() resets the delay.
  class Connection {
    constructor(events) {
      this.events = events; // { open(), line(text), closed(reason), waiting(ms) }
      this.ws = null;
      this.wanted = false;
      this.delay = 1000;
      this.timer = null;
      this.lastHeard = 0;
      setInterval(() => this.watch(), 15000);
    }

    url() {
      return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/";
    }

    open() {
      this.wanted = true;
      clearTimeout(this.timer);
      this.timer = null;
      this.detach();
      let ws;
      try {
        ws = new WebSocket(this.url(), "text.ircv3.net");
      } catch (e) {
        this.lost(String(e));
        return;
      }
      this.ws = ws;
      ws.binaryType = "arraybuffer"; // decoded at once below, so lines keep their order
      ws.onopen = () => { this.lastHeard = Date.now(); this.events.open(); };
      ws.onmessage = (ev) => {
        this.lastHeard = Date.now();
        const text = typeof ev.data === "string" ? ev.data : new TextDecoder().decode(ev.data);
        for (const line of text.split(/\r?\n/)) if (line) this.events.line(line);
      };
      ws.onclose = (ev) => {
        if (this.ws !== ws) return;
        this.ws = null;
        this.lost(ev.reason || (ev.code === 1000 ? "closed" : "connection lost"));
      };
    }

    lost(reason) {
      this.events.closed(reason);
      if (!this.wanted) return;
      const delay = this.delay;
      this.delay = Math.min(this.delay * 2, 30000);
      this.events.waiting(delay);
      this.timer = setTimeout(() => this.open(), delay);
    }

    // Forgets the current socket (its late events are ignored) and closes it.
    detach() {
      const ws = this.ws;
      this.ws = null;
      if (!ws) return;
      ws.onopen = ws.onmessage = ws.onclose = null;
      try { ws.close(); } catch (e) { /* already closed */ }
    }

    registered() { this.delay = 1000; }

    get connected() { return !!this.ws && this.ws.readyState === WebSocket.OPEN; }

    send(line) {
      if (!this.connected) return false;
      this.ws.send(line);
      return true;
    }

    // A connection that went silent (the server sends PING) is probed, then dropped.
    watch() {
      if (!this.connected) return;
      const quiet = Date.now() - this.lastHeard;
      if (quiet > 180000) { this.detach(); this.lost("no answer from the server"); }
      else if (quiet > 90000) this.send("PING :keepalive");
    }

    quit(reason) {
      this.wanted = false;
      clearTimeout(this.timer);
      if (this.connected) this.send(buildLine("QUIT", reason));
      this.detach();
      this.events.closed("you left");
    }
  }

  // ------------------------------------------------------ conversations

  // The caps we use, requested when the server offers them.
  const WANTED_CAPS = ["server-time", "echo-message", "message-tags", "batch", "away-notify",
    "multi-prefix", "draft/chathistory"];
  const SERVER = "\0server"; // the key of the server's own conversation
  const MAX_LINES = 1000;

  const state = {
    nick: "",            // our nick as the server knows it
    wantedNick: "",      // the nick the user asked for
    registered: false,
    serverName: "",
    offered: new Set(),  // caps in CAP LS / NEW
    caps: new Set(),     // caps ACKed
    capEnd: false,
    isupport: { CASEMAPPING: "rfc1459", CHANTYPES: "#", PREFIX: "(ov)@+", NETWORK: "", CHATHISTORY: "0" },
    rooms: [],           // rooms to be in (joined again after a reconnect)
    switchTo: "",        // room key to show once joined
    convs: new Map(),    // key -> conversation, in sidebar order
    current: SERVER,
    away: new Set(),     // folded nicks known to be away (away-notify)
    batches: new Map(),  // batch ref -> { type, target, lines }
    ctcpTimes: [],
    sent: [], sentPos: 0, // lines typed, for Up / Down
  };

  // Nick and channel names compare case-insensitively, as the server says.
  function fold(name) {
    let s = name.replace(/[A-Z]+/g, (c) => c.toLowerCase());
    const cm = state.isupport.CASEMAPPING;
    if (cm === "rfc1459") s = s.replace(/[[\]\\~]/g, (c) => ({ "[": "{", "]": "}", "\\": "|", "~": "^" })[c]);
    else if (cm === "strict-rfc1459") s = s.replace(/[[\]\\]/g, (c) => ({ "[": "{", "]": "}", "\\": "|" })[c]);
    return s;
  }
  const sameNick = (a, b) => fold(a) === fold(b);
  const isChannel = (name) => !!name && state.isupport.CHANTYPES.includes(name[0]);
  const prefixInfo = () => {
    const m = /^\((\w*)\)(.*)$/.exec(state.isupport.PREFIX) || [null, "", ""];
    return { modes: m[1], chars: m[2] };
  };

  function conversation(kind, name) {
    const key = kind === "server" ? SERVER : fold(name);
    let conv = state.convs.get(key);
    if (!conv) {
      conv = { key, kind, name, lines: [], unread: 0, mention: false, topic: "", joined: false,
        members: new Map(), names: null, msgids: new Set(), historyAt: 0 };
      state.convs.set(key, conv);
      renderConversations();
    }
    return conv;
  }
  const serverConv = () => conversation("server", "Server");
  const currentConv = () => state.convs.get(state.current) || serverConv();

  // Adds a line { kind, nick, text, time, self, msgid, history } to a conversation.
  function addLine(conv, line) {
    line.time = line.time || new Date();
    if (line.msgid) {
      if (conv.msgids.has(line.msgid)) return; // already shown (history after a reconnect)
      conv.msgids.add(line.msgid);
    }
    if (line.history) {
      conv.lines.splice(conv.historyAt++, 0, line);
    } else {
      conv.lines.push(line);
    }
    if (conv.lines.length > MAX_LINES) {
      conv.lines.shift();
      conv.historyAt = Math.max(0, conv.historyAt - 1);
    }
    const talk = ["msg", "action", "notice"].includes(line.kind) && !line.self && !line.history;
    if (conv.key === state.current) {
      if (line.history) renderMessages(); else appendMessage(line);
    } else if (talk && conv.kind !== "server") {
      conv.unread++;
      conv.mention ||= conv.kind === "query" || mentionsMe(line.text);
      renderConversations();
    }
  }
  const addEvent = (conv, text, kind = "event") => addLine(conv, { kind, text });
  const mentionsMe = (text) => !!state.nick && fold(text).includes(fold(state.nick));

  function switchTo(key) {
    if (!state.convs.has(key)) return;
    state.current = key;
    const conv = currentConv();
    conv.unread = 0;
    conv.mention = false;
    renderAll();
    // On a phone, the panel that was opened to pick this one closes.
    document.body.classList.remove("show-convs", "show-members");
    for (const id of ["toggle-convs", "toggle-members"]) $(id).setAttribute("aria-expanded", "false");
  }

  function closeConv(conv) {
    if (conv.kind === "server") return;
    state.convs.delete(conv.key);
    if (state.current === conv.key) state.current = [...state.convs.keys()].pop() || SERVER;
    renderAll();
  }

  function renameNick(oldNick, newNick) {
    const oldKey = fold(oldNick), newKey = fold(newNick);
    for (const conv of state.convs.values()) {
      const member = conv.members.get(oldKey);
      if (member) {
        conv.members.delete(oldKey);
        conv.members.set(newKey, { ...member, nick: newNick });
        addEvent(conv, `${oldNick} is now known as ${newNick}`);
      }
    }
    const query = state.convs.get(oldKey);
    if (query && query.kind === "query" && !state.convs.has(newKey)) {
      // Keep the sidebar order: rebuild the map with the new key in place.
      const entries = [...state.convs.entries()].map(([k, c]) => (k === oldKey ? [newKey, c] : [k, c]));
      state.convs = new Map(entries);
      query.key = newKey;
      query.name = newNick;
      if (state.current === oldKey) state.current = newKey;
      addEvent(query, `${oldNick} is now known as ${newNick}`);
    }
    if (state.away.delete(oldKey)) state.away.add(newKey);
  }

  // ------------------------------------------------- the server's lines

  const timeOf = (m) => (m.tags.time && !isNaN(Date.parse(m.tags.time)) ? new Date(m.tags.time) : new Date());
  const fromServer = (m) => !m.source || !m.source.includes("!") && (m.source.includes(".") || m.source === state.serverName);
  const lastParam = (m) => m.params[m.params.length - 1] || "";

  function onLine(raw) {
    const m = parseLine(raw);
    if (!m) return;
    const batch = m.tags.batch && state.batches.get(m.tags.batch);
    if (batch && batch.type.endsWith("chathistory")) { batch.lines.push(m); return; }
    const handler = HANDLERS[m.command];
    if (handler) handler(m);
    else if (/^[45]\d\d$/.test(m.command)) showError(m);
    else if (/^\d\d\d$/.test(m.command) && !QUIET_NUMERICS.has(m.command)) {
      // The sign-in burst (welcome, user counts, MOTD) goes to the server's
      // conversation; replies to what the user asked (WHOIS ...) where they are.
      const signIn = !state.registered || /^(0\d\d|2\d\d|37[256])$/.test(m.command);
      addEvent(signIn ? serverConv() : currentConv(), m.params.slice(1).join(" "), "info");
    }
  }

  const QUIET_NUMERICS = new Set(["004", "005", "333", "329", "315", "366", "265", "266"]);

  // 4xx / 5xx: "[me] [what...] :explanation", shown where it belongs.
  function showError(m) {
    const args = m.params.slice(1, -1);
    const text = args.length ? `${args.join(" ")}: ${lastParam(m)}` : lastParam(m);
    const conv = args.length && state.convs.get(fold(args[0]));
    addEvent(conv || (state.registered ? currentConv() : serverConv()), text, "error");
  }

  function requestCaps(list) {
    const want = WANTED_CAPS.filter((c) => list.includes(c) && !state.caps.has(c));
    if (want.length) state.conn.send(buildLine("CAP", "REQ", want.join(" ")));
    return want.length > 0;
  }

  function endCaps() {
    if (!state.capEnd && !state.registered) state.conn.send("CAP END");
    state.capEnd = true;
  }

  function message(m, kind) {
    const [target = "", body = ""] = m.params;
    const to = target.replace(/^[@+~&%]+(?=[#&])/, ""); // STATUSMSG: @#room
    const self = sameNick(m.nick, state.nick);
    let text = body;
    if (text[0] === "\x01") {
      const ctcp = text.slice(1).replace(/\x01$/, "");
      const [cmd, ...rest] = ctcp.split(" ");
      if (cmd.toUpperCase() !== "ACTION" || kind !== "msg") {
        if (kind === "msg" && !self && !m.history) ctcpReply(m.nick, cmd.toUpperCase(), rest.join(" "));
        return; // other CTCPs are answered, never shown raw
      }
      kind = "action";
      text = rest.join(" ");
    }
    let conv;
    if (isChannel(to)) conv = conversation("room", to);
    else if (fromServer(m)) conv = serverConv();
    else if (kind === "notice" && !state.convs.has(fold(self ? to : m.nick))) conv = currentConv();
    else conv = conversation("query", self ? to : m.nick);
    addLine(conv, { kind, nick: m.nick, text, self, time: timeOf(m), msgid: m.tags.msgid, history: m.history });
  }

  function ctcpReply(nick, cmd, arg) {
    const now = Date.now();
    state.ctcpTimes = state.ctcpTimes.filter((t) => now - t < 10000);
    if (state.ctcpTimes.length >= 3) return; // a CTCP flood must not get us dropped
    const reply = { VERSION: "Chat web client", PING: arg, TIME: new Date().toString() }[cmd];
    if (reply === undefined) return;
    state.ctcpTimes.push(now);
    state.conn.send(buildLine("NOTICE", nick, `\x01${cmd} ${reply}\x01`));
  }

  // Sets a member's prefixes from a NAMES entry like "@+alice" or "@alice!u@h".
  function parseName(entry) {
    const { chars } = prefixInfo();
    let i = 0;
    while (i < entry.length && chars.includes(entry[i])) i++;
    return { prefixes: entry.slice(0, i), nick: entry.slice(i).split("!")[0] };
  }

  function requestHistory(conv) {
    if (!["draft/chathistory", "batch", "server-time"].every((c) => state.caps.has(c))) return;
    const max = parseInt(state.isupport.CHATHISTORY, 10);
    const limit = max > 0 ? Math.min(50, max) : 50;
    state.conn.send(buildLine("CHATHISTORY", "LATEST", conv.name, "*", String(limit)));
  }

  function leftRoom(conv) {
    conv.joined = false;
    conv.members.clear();
    state.rooms = state.rooms.filter((r) => fold(r) !== conv.key);
    saveRooms();
  }

  const HANDLERS = {
    PING: (m) => state.conn.send(buildLine("PONG", ...m.params)),
    PONG: () => {},
    ERROR: (m) => {
      addEvent(serverConv(), `The server closed the connection: ${lastParam(m)}`, "error");
      if (state.current !== SERVER) addEvent(currentConv(), `Disconnected: ${lastParam(m)}`, "error");
    },
    CAP: (m) => {
      const sub = (m.params[1] || "").toUpperCase();
      const list = lastParam(m).split(" ").filter(Boolean).map((c) => c.split("=")[0]);
      if (sub === "LS" || sub === "NEW") {
        list.forEach((c) => state.offered.add(c));
        if (sub === "LS" && m.params[2] === "*") return; // more LS lines follow
        if (!requestCaps([...state.offered]) && sub === "LS") endCaps();
      } else if (sub === "ACK") {
        for (const c of list) c[0] === "-" ? state.caps.delete(c.slice(1)) : state.caps.add(c);
        endCaps();
      } else if (sub === "NAK") {
        endCaps();
      } else if (sub === "DEL") {
        list.forEach((c) => { state.offered.delete(c); state.caps.delete(c); });
      }
    },
    "001": (m) => {
      state.registered = true;
      state.nick = m.params[0];
      state.serverName = m.source;
      state.conn.registered();
      setStatus(`Connected as ${state.nick}`, "online");
      addEvent(serverConv(), lastParam(m), "info");
      if (state.rooms.length) state.conn.send(buildLine("JOIN", state.rooms.join(",")));
    },
    "005": (m) => {
      for (const token of m.params.slice(1, -1)) {
        const [k, v = ""] = token.split("=");
        if (k[0] !== "-") state.isupport[k] = v;
      }
      renderConversations();
    },
    "422": (m) => addEvent(serverConv(), lastParam(m), "info"), // no MOTD: not an error
    "432": (m) => nickRefused(m, "guest" + Math.floor(1000 + Math.random() * 9000)),
    "433": (m) => nickRefused(m, (m.params[1] || state.wantedNick).slice(0, 29) + "_"),
    BATCH: (m) => {
      const ref = m.params[0] || "";
      if (ref[0] === "+") {
        state.batches.set(ref.slice(1), { type: m.params[1] || "", target: m.params[2] || "", lines: [] });
      } else if (ref[0] === "-") {
        const batch = state.batches.get(ref.slice(1));
        state.batches.delete(ref.slice(1));
        if (batch && batch.type.endsWith("chathistory")) showHistory(batch);
      }
    },
    JOIN: (m) => {
      const name = m.params[0];
      if (sameNick(m.nick, state.nick)) {
        const conv = conversation("room", name);
        conv.name = name;
        conv.joined = true;
        conv.members.clear();
        conv.historyAt = conv.lines.length;
        conv.shownTopic = conv.topic; // 332 says it again if it is still set
        conv.topic = "";
        if (!state.rooms.some((r) => fold(r) === conv.key)) { state.rooms.push(name); saveRooms(); }
        addEvent(conv, `You joined ${name}`);
        if (state.switchTo === conv.key || state.current === SERVER) { state.switchTo = ""; switchTo(conv.key); }
        else renderAll();
        requestHistory(conv);
      } else {
        const conv = state.convs.get(fold(name));
        if (!conv) return;
        conv.members.set(fold(m.nick), { nick: m.nick, prefixes: "" });
        addEvent(conv, `→ ${m.nick} joined`);
        if (conv.key === state.current) renderMembers();
      }
    },
    PART: (m) => {
      const conv = state.convs.get(fold(m.params[0] || ""));
      if (!conv) return;
      const why = m.params[1] ? ` (${m.params[1]})` : "";
      if (sameNick(m.nick, state.nick)) {
        leftRoom(conv);
        addEvent(conv, `You left ${conv.name}${why}`);
      } else {
        conv.members.delete(fold(m.nick));
        addEvent(conv, `← ${m.nick} left${why}`);
      }
      if (conv.key === state.current) renderMembers();
    },
    KICK: (m) => {
      const [room, victim = "", reason = ""] = m.params;
      const conv = state.convs.get(fold(room));
      if (!conv) return;
      const why = reason ? ` (${reason})` : "";
      if (sameNick(victim, state.nick)) {
        leftRoom(conv);
        addEvent(conv, `${m.nick} removed you from ${conv.name}${why}`, "error");
      } else {
        conv.members.delete(fold(victim));
        addEvent(conv, `${m.nick} removed ${victim}${why}`);
      }
      if (conv.key === state.current) renderMembers();
    },
    QUIT: (m) => {
      const key = fold(m.nick);
      const why = m.params[0] ? ` (${m.params[0]})` : "";
      for (const conv of state.convs.values()) {
        if (conv.members.delete(key) || (conv.kind === "query" && conv.key === key)) addEvent(conv, `← ${m.nick} quit${why}`);
      }
      state.away.delete(key);
      renderMembers();
    },
    NICK: (m) => {
      const newNick = m.params[0];
      if (sameNick(m.nick, state.nick)) {
        state.nick = newNick;
        state.wantedNick = newNick;
        localStorage.setItem("chat.nick", newNick);
        addEvent(serverConv(), `You are now known as ${newNick}`);
        setStatus(`Connected as ${newNick}`, "online");
      }
      renameNick(m.nick, newNick);
      renderAll();
    },
    MODE: (m) => {
      const [target, modes = "", ...args] = m.params;
      if (!isChannel(target)) return;
      const conv = state.convs.get(fold(target));
      if (!conv) return;
      const { modes: pModes, chars } = prefixInfo();
      const [typeA = "", typeB = "", typeC = ""] = (state.isupport.CHANMODES || "beI,k,l,imnst").split(",");
      let adding = true;
      let next = 0;
      for (const c of modes) {
        if (c === "+" || c === "-") { adding = c === "+"; continue; }
        const takesArg = pModes.includes(c) || typeA.includes(c) || typeB.includes(c) || (typeC.includes(c) && adding);
        const arg = takesArg ? args[next++] : undefined;
        const member = pModes.includes(c) && arg !== undefined && conv.members.get(fold(arg));
        if (!member) continue;
        const p = chars[pModes.indexOf(c)];
        member.prefixes = adding
          ? [...new Set(member.prefixes + p)].sort((a, b) => chars.indexOf(a) - chars.indexOf(b)).join("")
          : member.prefixes.replaceAll(p, "");
      }
      addEvent(conv, `${m.nick} sets mode ${[modes, ...args].join(" ")}`);
      if (conv.key === state.current) renderMembers();
    },
    TOPIC: (m) => {
      const conv = conversation("room", m.params[0]);
      conv.topic = m.params[1] || "";
      addEvent(conv, conv.topic ? `${m.nick} set the topic: ${conv.topic}` : `${m.nick} cleared the topic`);
      if (conv.key === state.current) renderHeader();
    },
    "331": (m) => { const conv = state.convs.get(fold(m.params[1] || "")); if (conv) addEvent(conv, "No topic is set"); },
    "332": (m) => {
      const conv = conversation("room", m.params[1]);
      const again = conv.shownTopic === lastParam(m) && !conv.askedTopic; // after a reconnect
      conv.askedTopic = false;
      conv.topic = conv.shownTopic = lastParam(m);
      if (!again) addEvent(conv, `Topic: ${conv.topic}`);
      if (conv.key === state.current) renderHeader();
    },
    "353": (m) => {
      const room = m.params[m.params.length - 2];
      const conv = state.convs.get(fold(room));
      const entries = lastParam(m).split(" ").filter(Boolean);
      if (!conv || !conv.joined) { addEvent(currentConv(), `In ${room}: ${entries.join(" ")}`, "info"); return; }
      conv.names ||= new Map();
      for (const entry of entries) {
        const member = parseName(entry);
        conv.names.set(fold(member.nick), member);
      }
    },
    "366": (m) => {
      const conv = state.convs.get(fold(m.params[1] || ""));
      if (!conv || !conv.names) return;
      conv.members = conv.names;
      conv.names = null;
      if (conv.key === state.current) renderMembers();
    },
    AWAY: (m) => {
      const key = fold(m.nick);
      m.params[0] ? state.away.add(key) : state.away.delete(key);
      renderMembers();
    },
    INVITE: (m) => addEvent(currentConv(), `${m.nick} invites you to ${m.params[1]} (type /join ${m.params[1]})`, "info"),
    PRIVMSG: (m) => message(m, "msg"),
    NOTICE: (m) => message(m, "notice"),
    FAIL: (m) => standardReply(m, "error"),
    WARN: (m) => standardReply(m, "info"),
    NOTE: (m) => standardReply(m, "info"),
  };

  // FAIL / WARN / NOTE <command> <code> [context...] :<description>
  function standardReply(m, kind) {
    const command = m.params[0] && m.params[0] !== "*" ? `${m.params[0]}: ` : "";
    addEvent(state.registered ? currentConv() : serverConv(), command + lastParam(m), kind);
  }

  function nickRefused(m, fallback) {
    const why = `${m.params[1] || "That nick"}: ${lastParam(m)}`;
    if (state.registered) { addEvent(currentConv(), why, "error"); return; }
    addEvent(serverConv(), `${why}. Trying ${fallback} instead; type /nick to change it.`, "error");
    setStatus(`${m.params[1]} is taken, trying ${fallback}`, "busy");
    state.conn.send(buildLine("NICK", fallback));
  }

  // The lines of a chathistory batch are shown, marked as earlier, above the join.
  function showHistory(batch) {
    if (!isChannel(batch.target)) return;
    const conv = conversation("room", batch.target);
    for (const m of batch.lines) {
      if (m.command !== "PRIVMSG" && m.command !== "NOTICE") continue;
      m.history = true;
      message(m, m.command === "PRIVMSG" ? "msg" : "notice");
    }
  }

  // ------------------------------------------------- what the user types

  const COMMANDS = {
    help: ["", "this list", () => {
      for (const [name, [args, what]] of Object.entries(COMMANDS)) addEvent(currentConv(), `/${name} ${args} — ${what}`, "info");
      addEvent(currentConv(), "//text sends text that starts with /", "info");
    }],
    join: ["#room [key]", "join a room", (args) => {
      if (!args[0]) return usage("join");
      const room = isChannel(args[0]) ? args[0] : "#" + args[0];
      const conv = state.convs.get(fold(room));
      if (conv && conv.joined) return switchTo(conv.key);
      state.switchTo = fold(room);
      send("JOIN", room, ...args.slice(1, 2));
    }],
    part: ["[#room] [reason]", "leave a room (or close a private conversation)", (args, rest) => {
      const conv = currentConv();
      if (isChannel(args[0])) return send("PART", args[0], ...(args.length > 1 ? [rest.slice(args[0].length).trim()] : []));
      if (conv.kind === "room" && conv.joined) return send("PART", conv.name, ...(rest ? [rest] : []));
      closeConv(conv);
    }],
    close: ["", "close this conversation", () => {
      const conv = currentConv();
      if (conv.kind === "room" && conv.joined) send("PART", conv.name);
      closeConv(conv);
    }],
    msg: ["nick text", "a private message", (args, rest) => {
      if (args.length < 2) return usage("msg");
      const text = rest.slice(args[0].length).trim();
      if (!isChannel(args[0])) switchTo(conversation("query", args[0]).key);
      say(args[0], text);
    }],
    query: ["nick", "open a private conversation", (args) => {
      if (!args[0] || isChannel(args[0])) return usage("query");
      switchTo(conversation("query", args[0]).key);
    }],
    me: ["action", "* you do something", (args, rest) => {
      if (!rest) return usage("me");
      if (currentConv().kind === "server") return notHere();
      say(currentConv().name, rest, true);
    }],
    nick: ["newnick", "change your nick", (args) => (args[0] ? send("NICK", args[0]) : usage("nick"))],
    topic: ["[text]", "show or set the room's topic", (args, rest) => {
      const conv = currentConv();
      if (conv.kind !== "room") return notHere();
      conv.askedTopic = !rest;
      rest ? send("TOPIC", conv.name, rest) : send("TOPIC", conv.name);
    }],
    quote: ["RAW LINE", "send a raw IRC line", (args, rest) => {
      if (!rest) return usage("quote");
      if (!state.conn.send(rest.replace(/[\r\n\0]/g, " "))) notConnected();
    }],
    reconnect: ["", "connect again now", () => reconnectNow()],
    quit: ["[reason]", "leave the chat", (args, rest) => {
      state.conn.quit(rest || "Leaving");
      showLogin();
    }],
  };

  function runInput(text) {
    if (text.startsWith("//")) return say(currentConv().name, text.slice(1), false, true);
    if (text[0] !== "/") return say(currentConv().name, text, false, true);
    const rest0 = text.slice(1);
    const name = rest0.split(" ")[0].toLowerCase();
    const rest = rest0.slice(name.length).trim();
    const args = rest.split(" ").filter(Boolean);
    const command = COMMANDS[name === "raw" ? "quote" : name];
    if (!command) return addEvent(currentConv(), `Unknown command /${name}; type /help for the list`, "error");
    command[2](args, rest);
  }

  const usage = (name) => addEvent(currentConv(), `Usage: /${name} ${COMMANDS[name][0]}`, "error");
  const notHere = () => addEvent(currentConv(), "Join a room first: /join #room", "error");
  const notConnected = () => addEvent(currentConv(), "Not connected; not sent. Reconnecting…", "error");
  const send = (...parts) => state.conn.send(buildLine(...parts)) || notConnected();

  // Sends text to a room or nick, in pieces the server accepts.
  function say(target, text, action = false, fromCurrent = false) {
    if (fromCurrent && currentConv().kind === "server") return notHere();
    if (!text) return;
    for (const piece of splitText(text)) {
      if (!state.conn.send(buildLine("PRIVMSG", target, action ? `\x01ACTION ${piece}\x01` : piece))) return notConnected();
      if (!state.caps.has("echo-message")) { // else the server's echo shows it, once
        const conv = conversation(isChannel(target) ? "room" : "query", target);
        addLine(conv, { kind: action ? "action" : "msg", nick: state.nick, text: piece, self: true });
      }
    }
  }

  // ------------------------------------------------------------ rendering

  const $ = (id) => document.getElementById(id);
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Text with http(s) links made clickable; everything stays text.
  function richText(node, text) {
    const clean = stripFormatting(text);
    const urls = /\bhttps?:\/\/[^\s<>"]+/gi;
    let at = 0, match;
    while ((match = urls.exec(clean))) {
      let url = match[0].replace(/[.,;:!?)\]'}]+$/, "");
      let href = "";
      try { const u = new URL(url); if (u.protocol === "http:" || u.protocol === "https:") href = u.href; } catch (e) { /* not a URL */ }
      if (!href) continue;
      node.append(document.createTextNode(clean.slice(at, match.index)));
      const a = el("a", "", url);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      node.append(a);
      at = match.index + url.length;
      urls.lastIndex = at;
    }
    node.append(document.createTextNode(clean.slice(at)));
    return node;
  }

  function nickColour(nick) {
    let h = 2166136261; // FNV-1a, so that similar nicks get different colours
    for (const c of fold(nick)) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    return "nick-c" + (((h ^ (h >>> 15)) >>> 0) % 8);
  }

  function lineElement(line) {
    const li = el("li", `line kind-${line.kind}`);
    if (line.self) li.classList.add("self");
    if (line.history) li.classList.add("history");
    if (!line.self && line.nick && ["msg", "action"].includes(line.kind) && mentionsMe(line.text)) li.classList.add("mention");
    const time = el("time", "time", line.time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    time.dateTime = line.time.toISOString();
    time.title = (line.history ? "Earlier: " : "") + line.time.toLocaleString();
    // Spaces between the parts, so that copied text reads "12:00 alice: hi".
    li.append(time, " ");
    if (line.kind === "msg") li.append(el("span", `nick ${nickColour(line.nick)}`, line.nick), " ");
    else if (line.kind === "action") li.append("* ", el("span", `nick ${nickColour(line.nick)}`, line.nick), " ");
    else if (line.kind === "notice" && line.nick) li.append(el("span", "nick", `-${line.nick}-`), " ");
    li.append(richText(el("span", "text"), line.text));
    return li;
  }

  function nearBottom(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 60; }

  function appendMessage(line) {
    const list = $("messages");
    const stick = nearBottom(list);
    list.append(lineElement(line));
    while (list.childElementCount > MAX_LINES) list.firstElementChild.remove();
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function renderMessages() {
    const list = $("messages");
    list.replaceChildren(...currentConv().lines.map(lineElement));
    list.scrollTop = list.scrollHeight;
  }

  function renderConversations() {
    const items = [];
    let total = 0;
    for (const conv of state.convs.values()) {
      const button = el("button", "conv");
      button.type = "button";
      button.dataset.key = conv.key;
      button.dataset.kind = conv.kind;
      const label = conv.kind === "server" ? state.isupport.NETWORK || "Server" : conv.name;
      button.append(el("span", "conv-name", label));
      if (conv.unread) {
        const badge = el("span", conv.mention ? "badge mention" : "badge", String(conv.unread));
        badge.setAttribute("aria-label", `${conv.unread} unread`);
        button.append(badge);
        total += conv.unread;
      }
      if (conv.kind === "room" && !conv.joined) button.classList.add("parted");
      if (conv.key === state.current) button.setAttribute("aria-current", "page");
      button.addEventListener("click", () => { switchTo(conv.key); $("input").focus(); });
      const li = el("li");
      li.append(button);
      items.push(li);
    }
    $("conversations").replaceChildren(...items);
    document.title = total ? `(${total}) Chat` : "Chat";
  }

  function renderHeader() {
    const conv = currentConv();
    $("conv-title").textContent = conv.kind === "server" ? state.isupport.NETWORK || "Server" : conv.name;
    const topic = $("topic");
    topic.replaceChildren();
    richText(topic, conv.kind === "query" ? "Private conversation" : conv.topic);
  }

  function renderMembers() {
    const conv = currentConv();
    const pane = $("member-pane");
    pane.hidden = conv.kind !== "room";
    document.body.classList.toggle("has-members", conv.kind === "room");
    if (pane.hidden) return;
    const { chars } = prefixInfo();
    const rank = (m) => (m.prefixes ? chars.indexOf(m.prefixes[0]) : chars.length);
    const members = [...conv.members.values()].sort((a, b) => rank(a) - rank(b) || fold(a.nick).localeCompare(fold(b.nick)));
    $("members-title").textContent = `Members (${members.length})`;
    $("members").replaceChildren(...members.map((m) => {
      const button = el("button", "member");
      button.type = "button";
      button.dataset.nick = m.nick;
      button.append(el("span", "prefix", m.prefixes), el("span", `member-nick ${nickColour(m.nick)}`, m.nick));
      if (state.away.has(fold(m.nick))) { button.classList.add("away"); button.title = `${m.nick} is away`; }
      if (!sameNick(m.nick, state.nick)) {
        button.addEventListener("click", () => { switchTo(conversation("query", m.nick).key); $("input").focus(); });
      } else button.disabled = true;
      const li = el("li");
      li.append(button);
      return li;
    }));
  }

  function renderAll() {
    renderConversations();
    renderHeader();
    renderMembers();
    renderMessages();
  }

  function setStatus(text, mode) {
    clearInterval(state.countdown);
    $("status").textContent = text;
    $("status").dataset.mode = mode;
    $("reconnect").hidden = mode === "online";
  }

  // ------------------------------------------------------------ start-up

  const saveRooms = () => localStorage.setItem("chat.rooms", state.rooms.join(", "));

  function parseRooms(text) {
    return [...new Set(text.split(/[\s,]+/).filter(Boolean).map((r) => (isChannel(r) ? r : "#" + r)))];
  }

  function connectionEvents() {
    return {
      open() {
        state.registered = false;
        state.capEnd = false;
        state.offered.clear();
        state.caps.clear();
        state.batches.clear();
        state.nick = state.wantedNick;
        setStatus("Signing in…", "busy");
        state.conn.send("CAP LS 302");
        state.conn.send(buildLine("NICK", state.wantedNick));
        state.conn.send(buildLine("USER", state.wantedNick, "0", "*", "Chat web client"));
      },
      line: onLine,
      closed(reason) {
        const wasOn = state.registered;
        state.registered = false;
        for (const conv of state.convs.values()) { conv.joined = false; conv.members.clear(); conv.names = null; }
        if (wasOn) addEvent(serverConv(), `Disconnected (${reason})`, "error");
        setStatus(`Disconnected (${reason})`, "offline");
        renderAll();
      },
      waiting(ms) {
        // A countdown, until the next try starts (setStatus stops it).
        const at = Date.now() + ms;
        const show = () => { $("status").textContent = `Reconnecting in ${Math.max(1, Math.round((at - Date.now()) / 1000))} s…`; };
        setStatus("", "offline");
        show();
        state.countdown = setInterval(show, 1000);
      },
    };
  }

  function reconnectNow() {
    setStatus("Connecting…", "busy");
    state.conn.open();
  }

  function showLogin() {
    $("chat").hidden = true;
    $("login").hidden = false;
    $("nick").focus();
  }

  const NICK_RE = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,29}$/;

  function start() {
    $("nick").value = localStorage.getItem("chat.nick") || "";
    $("rooms").value = localStorage.getItem("chat.rooms") || "#lobby";
    state.conn = new Connection(connectionEvents());
    serverConv();

    $("join-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const nick = $("nick").value.trim();
      const problem = $("login-error");
      if (!NICK_RE.test(nick)) {
        problem.textContent = "That nickname can't be used: start with a letter, then letters, digits, _ or -.";
        problem.hidden = false;
        return;
      }
      problem.hidden = true;
      state.wantedNick = nick;
      state.rooms = parseRooms($("rooms").value || "#lobby");
      localStorage.setItem("chat.nick", nick);
      saveRooms();
      state.switchTo = state.rooms.length ? fold(state.rooms[0]) : "";
      $("login").hidden = true;
      $("chat").hidden = false;
      renderAll();
      $("input").focus();
      reconnectNow();
    });

    $("input-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const input = $("input");
      const text = input.value;
      if (!text.trim()) return;
      state.sent.push(text);
      if (state.sent.length > 50) state.sent.shift();
      state.sentPos = state.sent.length;
      input.value = "";
      runInput(text);
    });

    // Up / Down recall what was typed; Alt+Up / Alt+Down change conversation.
    $("input").addEventListener("keydown", (ev) => {
      if (ev.key !== "ArrowUp" && ev.key !== "ArrowDown") return;
      ev.preventDefault();
      const step = ev.key === "ArrowUp" ? -1 : 1;
      if (ev.altKey) {
        const keys = [...state.convs.keys()];
        const next = keys[(keys.indexOf(state.current) + step + keys.length) % keys.length];
        return switchTo(next);
      }
      state.sentPos = Math.max(0, Math.min(state.sent.length, state.sentPos + step));
      ev.target.value = state.sent[state.sentPos] || "";
    });

    $("reconnect").addEventListener("click", reconnectNow);
    for (const [button, cls] of [["toggle-convs", "show-convs"], ["toggle-members", "show-members"]]) {
      $(button).addEventListener("click", () => {
        const on = document.body.classList.toggle(cls);
        $(button).setAttribute("aria-expanded", String(on));
      });
    }
    // Escape closes the panels opened on a phone.
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && document.body.matches(".show-convs, .show-members")) switchTo(state.current);
    });
    $("nick").focus();
  }

  // For tests and the curious: the parser, and the caps in use (read-only).
  window.chatIrc = { parseLine, buildLine, splitText, caps: () => [...state.caps].sort() };
  document.addEventListener("DOMContentLoaded", start);
})();
