// The simulator board's "native port", run inside the engine before the bundle. On a real board this
// layer is C (boards/port); here it turns the host functions in `__host` into the ECMA-419-shaped
// natives of hal/engine.d.ts and publishes them as one frozen global, `__natives`.
// Plain ES2021 script: it runs in the same engine as the firmware.
(function (host, global) {
  "use strict";

  function NativeError(code, message) {
    var e = new Error(code + ": " + message);
    e.name = "NativeError";
    e.code = code;
    return e;
  }
  // Host functions throw Error("E_CODE: text"); give the firmware a typed error with `code`.
  function call(fn, args) {
    try {
      return fn.apply(undefined, args);
    } catch (e) {
      var m = /^(E_[A-Z0-9_]+): ?([\s\S]*)$/.exec(String(e && e.message));
      if (m) throw NativeError(m[1], m[2]);
      throw e;
    }
  }
  function bytes(ab) {
    return ab === undefined ? undefined : new Uint8Array(ab);
  }
  function need(cond, code, message) {
    if (!cond) throw NativeError(code, message);
  }
  function isFn(f) {
    return f === undefined || typeof f === "function";
  }

  // Callbacks the host dispatches between scripts: id -> options object of the opened IO.
  var handlers = Object.create(null);
  var timers = Object.create(null);
  var dispatch = function (kind, id, a, b) {
    if (kind === "timer") {
      var t = timers[id];
      if (!t) return;
      if (!t.repeat) delete timers[id];
      t.callback();
      return;
    }
    var h = handlers[id];
    if (!h) return;
    if (kind === "readable") h.onReadable && h.onReadable(a);
    else if (kind === "writable") h.onWritable && h.onWritable(a);
    else if (kind === "error") h.onError && h.onError(NativeError(a, b));
    else if (kind === "present") h.onPresent && h.onPresent();
    else if (kind === "removed") h.onRemoved && h.onRemoved();
    else if (kind === "swipe") h.onSwipe && h.onSwipe(JSON.parse(a));
    else if (kind === "key") h.onKey && h.onKey(a);
    else if (kind === "pin") h.onKey && h.onKey(a);
    else if (kind === "pindone") {
      var r = JSON.parse(a);
      delete handlers[id];
      h.onDone({ status: r.status, pinBlock: r.pinBlock ? hexToBytes(r.pinBlock) : undefined });
    }
  };
  function hexToBytes(hex) {
    var out = new Uint8Array(hex.length >> 1);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function checkCallbacks(options, names) {
    need(options !== null && typeof options === "object", "E_OPTIONS", "options object required");
    for (var i = 0; i < names.length; i++) need(isFn(options[names[i]]), "E_OPTIONS", names[i] + " must be a function");
  }
  function closed(code) {
    throw NativeError(code, "closed");
  }

  var serial = {
    open: function (options) {
      checkCallbacks(options, ["onReadable", "onWritable", "onError"]);
      need(typeof options.port === "string", "E_OPTIONS", "port required");
      need(typeof options.baud === "number" && options.baud > 0, "E_OPTIONS", "baud required");
      var id = call(host.serialOpen, [options.port, options.baud]);
      handlers[id] = options;
      var open = true;
      return Object.freeze({
        read: function (max) {
          if (!open) closed("E_SERIAL_CLOSED");
          return bytes(call(host.serialRead, [id, max === undefined ? 0 : max]));
        },
        write: function (data) {
          if (!open) closed("E_SERIAL_CLOSED");
          need(data instanceof Uint8Array, "E_OPTIONS", "write takes a Uint8Array");
          call(host.serialWrite, [id, data.buffer, data.byteOffset, data.byteLength]);
        },
        get writable() {
          return open ? call(host.serialWritable, [id]) : 0;
        },
        set: function (lines) {
          if (!open) closed("E_SERIAL_CLOSED");
          call(host.serialSet, [id, JSON.stringify(lines || {})]);
        },
        close: function () {
          if (!open) return;
          open = false;
          delete handlers[id];
          call(host.serialClose, [id]);
        },
      });
    },
  };

  var timerApi = {
    set: function (callback, ms) {
      need(typeof callback === "function", "E_OPTIONS", "callback required");
      var id = call(host.timerSet, [+ms || 0, false]);
      timers[id] = { callback: callback, repeat: false };
      return id;
    },
    repeat: function (callback, ms) {
      need(typeof callback === "function", "E_OPTIONS", "callback required");
      var id = call(host.timerSet, [Math.max(1, +ms || 0), true]);
      timers[id] = { callback: callback, repeat: true };
      return id;
    },
    clear: function (id) {
      if (timers[id]) {
        delete timers[id];
        call(host.timerClear, [id]);
      }
    },
  };

  var clock = {
    monotonic: function () {
      return call(host.clockMonotonic, []);
    },
    now: function () {
      return call(host.clockNow, []);
    },
    set: function (ms) {
      call(host.clockSet, [+ms]);
    },
  };

  var flashInfo = call(host.flashInfo, []);
  var flash = {
    sectorSize: flashInfo.sectorSize,
    sectorCount: flashInfo.sectorCount,
    read: function (offset, length, into) {
      var data = bytes(call(host.flashRead, [offset, length]));
      if (into) {
        need(into.length >= length, "E_OPTIONS", "buffer too small");
        into.set(data);
        return into;
      }
      return data;
    },
    program: function (offset, data) {
      need(data instanceof Uint8Array, "E_OPTIONS", "program takes a Uint8Array");
      call(host.flashProgram, [offset, data.buffer, data.byteOffset, data.byteLength]);
    },
    erase: function (sector) {
      call(host.flashErase, [sector]);
    },
  };

  function missing(name) {
    return function () {
      throw NativeError("E_NATIVE_MISSING", name + " is not provided by this board");
    };
  }

  var card = {
    open: host.cardOpen
      ? function (options) {
          checkCallbacks(options, ["onReadable", "onError", "onPresent", "onRemoved"]);
          need(options.slot === "contact" || options.slot === "contactless", "E_OPTIONS", "slot");
          var id = call(host.cardOpen, [options.slot]);
          handlers[id] = options;
          var open = true;
          return Object.freeze({
            get present() {
              return open && call(host.cardPresent, [id]);
            },
            powerOn: function () {
              call(host.cardPowerOn, [id]);
            },
            transmit: function (apdu) {
              need(apdu instanceof Uint8Array, "E_OPTIONS", "transmit takes a Uint8Array");
              call(host.cardTransmit, [id, apdu.buffer, apdu.byteOffset, apdu.byteLength]);
            },
            read: function () {
              return bytes(call(host.cardRead, [id]));
            },
            powerOff: function () {
              call(host.cardPowerOff, [id]);
            },
            close: function () {
              if (!open) return;
              open = false;
              delete handlers[id];
              call(host.cardClose, [id]);
            },
          });
        }
      : missing("card"),
  };

  var magstripe = {
    open: host.magstripeOpen
      ? function (options) {
          checkCallbacks(options, ["onSwipe", "onError"]);
          var id = call(host.magstripeOpen, []);
          handlers[id] = options;
          return Object.freeze({
            close: function () {
              if (!handlers[id]) return;
              delete handlers[id];
              call(host.magstripeClose, [id]);
            },
          });
        }
      : missing("magstripe"),
  };

  var keypad = {
    open: host.keypadOpen
      ? function (options) {
          checkCallbacks(options, ["onKey"]);
          var id = call(host.keypadOpen, []);
          handlers[id] = options;
          return Object.freeze({
            close: function () {
              if (!handlers[id]) return;
              delete handlers[id];
              call(host.keypadClose, [id]);
            },
          });
        }
      : missing("keypad"),
  };

  var displayInfo = host.displayInfo ? call(host.displayInfo, []) : { rows: 0, columns: 0 };
  var display = {
    rows: displayInfo.rows,
    columns: displayInfo.columns,
    clear: host.displayClear ? function () { call(host.displayClear, []); } : missing("display"),
    text: host.displayText
      ? function (row, text, options) {
          call(host.displayText, [row, String(text), JSON.stringify(options || {})]);
        }
      : missing("display"),
    flush: host.displayFlush ? function () { call(host.displayFlush, []); } : missing("display"),
  };

  // The PED computes inside the host (the simulator's secure side); only results cross over.
  var ped = host.pedCall
    ? {
        loadKey: function (o) {
          return hexToBytes(call(host.pedCall, ["loadKey", JSON.stringify(pedArgs(o))]));
        },
        hasKey: function (slot) {
          return call(host.pedCall, ["hasKey", JSON.stringify({ slot: slot })]) === "1";
        },
        kcv: function (slot) {
          return hexToBytes(call(host.pedCall, ["kcv", JSON.stringify({ slot: slot })]));
        },
        erase: function (slot) {
          call(host.pedCall, ["erase", JSON.stringify({ slot: slot })]);
        },
        mac: function (o) {
          return hexToBytes(call(host.pedCall, ["mac", JSON.stringify(pedArgs(o))]));
        },
        encrypt: function (o) {
          return hexToBytes(call(host.pedCall, ["encrypt", JSON.stringify(pedArgs(o))]));
        },
        pinEntry: function (o) {
          checkCallbacks(o, ["onKey", "onDone"]);
          need(typeof o.onDone === "function", "E_OPTIONS", "onDone required");
          var id = call(host.pedCall, ["pinEntry", JSON.stringify(pedArgs(o))]);
          handlers[id] = o;
        },
        cancelPinEntry: function () {
          call(host.pedCall, ["cancelPinEntry", "{}"]);
        },
      }
    : {
        loadKey: missing("ped"), hasKey: missing("ped"), kcv: missing("ped"), erase: missing("ped"),
        mac: missing("ped"), encrypt: missing("ped"), pinEntry: missing("ped"), cancelPinEntry: missing("ped"),
      };
  function toHex(u8) {
    var s = "";
    for (var i = 0; i < u8.length; i++) s += (u8[i] < 16 ? "0" : "") + u8[i].toString(16);
    return s;
  }
  // Byte fields travel as hex through the host boundary; callbacks stay on this side.
  function pedArgs(o) {
    need(o !== null && typeof o === "object", "E_OPTIONS", "options object required");
    var out = {};
    for (var k in o) {
      var v = o[k];
      if (typeof v === "function") continue;
      out[k] = v instanceof Uint8Array ? { hex: toHex(v) } : v;
    }
    return out;
  }

  var system = {
    engine: call(host.systemEngine, []),
    serialNumber: function () {
      return call(host.systemSerialNumber, []);
    },
    random: function (into) {
      need(into instanceof Uint8Array, "E_OPTIONS", "random fills a Uint8Array");
      into.set(bytes(call(host.systemRandom, [into.length])));
    },
    reset: function () {
      call(host.systemReset, []);
    },
    battery: function () {
      var b = call(host.systemBattery, []);
      return b === undefined ? undefined : JSON.parse(b);
    },
    log: function (level, message) {
      call(host.systemLog, [level, String(message)]);
    },
    exit: function (status) {
      call(host.systemExit, [status | 0]);
    },
  };

  var board = {
    serial: Object.freeze(serial),
    timers: Object.freeze(timerApi),
    clock: Object.freeze(clock),
    flash: Object.freeze(flash),
    card: Object.freeze(card),
    magstripe: Object.freeze(magstripe),
    ped: Object.freeze(ped),
    display: Object.freeze(display),
    keypad: Object.freeze(keypad),
    system: Object.freeze(system),
  };
  Object.defineProperty(global, "__natives", { value: Object.freeze(board), writable: false, configurable: false });
  delete global.__host;
  // The script's value: the host keeps it to deliver events between scripts.
  return dispatch;
})(__host, globalThis);
