// The view library: htm (JSX-like tagged templates, no build step) over preact with its hooks, one
// vendored ES module (vendor/htm/standalone.module.js). Components import from here, never from vendor/.
export {
  html, render, h, Component, createContext, useState, useReducer, useEffect, useLayoutEffect, useRef, useMemo,
  useCallback, useContext,
} from '../../vendor/htm/standalone.module.js';
