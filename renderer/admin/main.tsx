import { mountPlaceholder } from '../shared/placeholder.js';

mountPlaceholder('admin');
