import { mount } from 'svelte';
import App from './App.svelte';
import './styles/app.css';

const target = document.getElementById('app');
if (target === null) throw new Error('#app element missing');
mount(App, { target });
